/*
 * CSRF defence for every state-changing request (POST): the request must come
 * from the console's own origin (Origin header, or Sec-Fetch-Site from
 * browsers that send it) AND carry the session's CSRF token in a custom
 * header. A cross-site form or fetch can do neither: it cannot read the
 * token, and a custom header forces a CORS preflight that this server never
 * approves.
 */
import { timingSafeEqual } from 'node:crypto';
import { consoleSettings } from './console-settings.ts';
import { CSRF_HEADER } from './session-cookies.ts';

export type CsrfVerdict = { ok: true } | { ok: false; reason: string };

function sameOrigin(request: Request): CsrfVerdict {
  const fetchSite = request.headers.get('sec-fetch-site');
  if (fetchSite && fetchSite !== 'same-origin') return { ok: false, reason: `cross-site request (Sec-Fetch-Site: ${fetchSite})` };
  const origin = request.headers.get('origin');
  if (origin) {
    const host = request.headers.get('host');
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return { ok: false, reason: `unreadable Origin header "${origin}"` };
    }
    if (originHost !== host && !consoleSettings().extraOrigins.includes(origin)) return { ok: false, reason: `request from another origin (${origin})` };
  }
  return { ok: true };
}

function tokensEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** For requests made within a session: same origin and the session's token. */
export function checkCsrf(request: Request, expectedToken: string): CsrfVerdict {
  const origin = sameOrigin(request);
  if (!origin.ok) return origin;
  const sent = request.headers.get(CSRF_HEADER);
  if (!sent) return { ok: false, reason: `no ${CSRF_HEADER} header` };
  if (!tokensEqual(sent, expectedToken)) return { ok: false, reason: `wrong ${CSRF_HEADER} token` };
  return { ok: true };
}

/** For the login itself (no session yet): same origin and the custom header, which no cross-site form can add. */
export function checkLoginCsrf(request: Request): CsrfVerdict {
  const origin = sameOrigin(request);
  if (!origin.ok) return origin;
  if (!request.headers.get(CSRF_HEADER)) return { ok: false, reason: `no ${CSRF_HEADER} header` };
  return { ok: true };
}
