/* Service names ("198.18.100.1:80/tcp") hold ':' and '/', so they travel in URLs encoded. */
export const servicePath = (service: string) => `/services/${encodeURIComponent(service)}`;

export function serviceFromParam(param: string): string {
  /* Next hands dynamic segments over still encoded in some versions and decoded in others. */
  return param.includes('%') ? decodeURIComponent(param) : param;
}
