import type { Metadata } from 'next';
import { ConfigurationScreen } from '@/screens/configuration/configuration-screen.tsx';

export const metadata: Metadata = { title: 'Configuration' };

export default function ConfigurationPage() {
  return <ConfigurationScreen />;
}
