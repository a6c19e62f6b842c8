import type { Metadata } from 'next';
import { ConnectionsScreen } from '@/screens/connections/connections-screen.tsx';

export const metadata: Metadata = { title: 'Connections' };

export default function ConnectionsPage() {
  return <ConnectionsScreen />;
}
