/*
 * The console is a Next.js server: it serves the pages and proxies tRPC to
 * the agent's unix socket. @sluice/api ships TypeScript source, so Next
 * compiles it like its own code.
 */
import type { NextConfig } from 'next';

const config: NextConfig = {
  /*
   * Pages import browser-safe values from @sluice/api, whose index also
   * re-exports the server router; the package declares "sideEffects": false
   * so webpack drops what a page does not use and the router never reaches a
   * browser bundle.
   */
  transpilePackages: ['@sluice/api'],
  poweredByHeader: false,
  reactStrictMode: true,
  /* No ESLint in this workspace; type errors still fail the build. */
  eslint: { ignoreDuringBuilds: true },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          /* The console is never framed: no clickjacking of its buttons. */
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
        ],
      },
    ];
  },
};

export default config;
