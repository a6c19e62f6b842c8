/* The browser's only way to the agent: see server/trpc-proxy.ts. */
import { proxyTrpc } from '@/server/trpc-proxy.ts';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export const GET = proxyTrpc;
export const POST = proxyTrpc;
