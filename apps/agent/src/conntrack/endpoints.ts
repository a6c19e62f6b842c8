/*
 * The configuration a flow entry points at: its backend (whose address is
 * in the reply key) and its service's VIP (in the forward key). Read once
 * per sweep or page, so a million flows cost two small array reads.
 */
import type { ConntrackMaps } from './conntrack-maps.js';
import type { Backend, ServiceKey } from '../dataplane/generated/layout.js';
import { KEY, KEY_SIZE } from './flow-bytes.js';

export class Endpoints {
	readonly backends = new Map<number, Backend>();
	readonly vips = new Map<number, ServiceKey>();

	/** Backends and VIPs in use (family 0 marks a free slot). */
	static read(maps: ConntrackMaps): Endpoints {
		const endpoints = new Endpoints();
		for (const [id, backend] of maps.backends.entries()) if (backend.family !== 0) endpoints.backends.set(id, backend);
		for (const [id, vip] of maps.serviceVips.entries()) if (vip.family !== 0) endpoints.vips.set(id, vip);
		return endpoints;
	}

	/** The backend a flow of `serviceId` may count against, or undefined when the id was freed or reused. */
	backendOf(backendId: number, serviceId: number): Backend | undefined {
		const backend = this.backends.get(backendId);
		return backend && backend.service_id === serviceId ? backend : undefined;
	}

	/**
	 * The reply entry's key of a forward entry (backend -> client), as the
	 * data plane's reply_key_of() writes it; undefined if the backend is gone.
	 */
	replyKeyOf(forwardKey: Buffer, at: number, backendId: number, serviceId: number, out: Buffer = Buffer.alloc(KEY_SIZE)): Buffer | undefined {
		const backend = this.backendOf(backendId, serviceId);
		if (!backend) return undefined;
		out.fill(0);
		backend.addr.copy(out, KEY.src);
		forwardKey.copy(out, KEY.dst, at + KEY.src, at + KEY.src + 16);
		out.writeUInt16BE(backend.port, KEY.srcPort);
		forwardKey.copy(out, KEY.dstPort, at + KEY.srcPort, at + KEY.srcPort + 2);
		out[KEY.protocol] = forwardKey[at + KEY.protocol]!;
		out[KEY.family] = forwardKey[at + KEY.family]!;
		return out;
	}

	/** The forward entry's key of a reply entry (client -> VIP); undefined if the service is gone. */
	forwardKeyOf(replyKey: Buffer, at: number, serviceId: number, out: Buffer = Buffer.alloc(KEY_SIZE)): Buffer | undefined {
		const vip = this.vips.get(serviceId);
		if (!vip || vip.family !== replyKey[at + KEY.family]) return undefined;
		out.fill(0);
		replyKey.copy(out, KEY.src, at + KEY.dst, at + KEY.dst + 16);
		vip.addr.copy(out, KEY.dst);
		replyKey.copy(out, KEY.srcPort, at + KEY.dstPort, at + KEY.dstPort + 2);
		out.writeUInt16BE(vip.port, KEY.dstPort);
		out[KEY.protocol] = replyKey[at + KEY.protocol]!;
		out[KEY.family] = replyKey[at + KEY.family]!;
		return out;
	}
}
