import type { Metadata } from 'next';
import { ServicesScreen } from '@/screens/services/services-screen.tsx';

export const metadata: Metadata = { title: 'Services' };

export default function ServicesPage() {
  return <ServicesScreen />;
}
