import type { Metadata } from 'next';
import { serviceFromParam } from '@/client/service-path.ts';
import { ServiceDetailScreen } from '@/screens/service-detail/service-detail-screen.tsx';

export async function generateMetadata({ params }: { params: Promise<{ service: string }> }): Promise<Metadata> {
  return { title: serviceFromParam((await params).service) };
}

export default async function ServicePage({ params }: { params: Promise<{ service: string }> }) {
  return <ServiceDetailScreen service={serviceFromParam((await params).service)} />;
}
