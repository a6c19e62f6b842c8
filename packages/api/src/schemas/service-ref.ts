import { z } from 'zod';
import { formatEndpoint } from '../names/address.ts';
import { parseEndpoint, parseServiceName, serviceName } from '../names/service.ts';

export { type Endpoint, type ServiceAddress, parseEndpoint, parseServiceName } from '../names/service.ts';

/** A service name, canonicalised. */
export const serviceRefSchema = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const parsed = parseServiceName(text);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return serviceName(parsed);
  });

/** A backend endpoint, canonicalised. */
export const endpointRefSchema = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const parsed = parseEndpoint(text);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return formatEndpoint(parsed.address, parsed.port);
  });
