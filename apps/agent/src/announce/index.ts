/* The node's BGP announcements: settings, BIRD's config, process and control, and the rule of what to announce. */
export { type BgpSettings, bgpSettingsSchema, parseBgpSettings, readBgpSettings } from './bgp-settings.js';
export { type VipRoutes, birdConfig, peerProtocolName } from './bird-config.js';
export { type Announcement, type NodeFacts, type ServiceFacts, nodeCannotServe, nodeWithheld, vipsToAnnounce } from './announce-conditions.js';
export { type PeerStatus, Speaker, type SpeakerStatus } from './speaker.js';
export { type VrrpReport, VrrpRoleState } from './vrrp-role.js';
export { VrrpNotifyFifo, parseNotifyLine } from './vrrp-notify-fifo.js';
