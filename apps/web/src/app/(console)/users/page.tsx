import type { Metadata } from 'next';
import { UsersScreen } from '@/screens/users/users-screen.tsx';

export const metadata: Metadata = { title: 'Users' };

export default function UsersPage() {
  return <UsersScreen />;
}
