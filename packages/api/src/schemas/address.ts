import { z } from 'zod';
import { addressFamily, canonicalAddress } from '../names/address.ts';

export { addressFamily, canonicalAddress, formatEndpoint } from '../names/address.ts';

export const ipAddressSchema = z
  .string()
  .trim()
  .refine((value) => addressFamily(value) !== null, { message: 'must be an IPv4 or IPv6 address' })
  .transform(canonicalAddress);

export const portSchema = z
  .number({ message: 'port must be a number' })
  .int('port must be a whole number')
  .min(1, 'port must be 1 to 65535')
  .max(65535, 'port must be 1 to 65535');
