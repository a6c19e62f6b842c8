import type { Metadata } from 'next';
import { NodeScreen } from '@/screens/node/node-screen.tsx';

export const metadata: Metadata = { title: 'Node' };

export default function NodePage() {
  return <NodeScreen />;
}
