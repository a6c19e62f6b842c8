/* VRRP roles as keepalived reports them to the agent (its notify FIFO, or `sluice node role`; issue 13). */
export const vrrpRoles = ['master', 'backup', 'fault', 'stop'] as const;
export type VrrpRoleName = (typeof vrrpRoles)[number];

export function isVrrpRole(value: string): value is VrrpRoleName {
  return (vrrpRoles as readonly string[]).includes(value);
}
