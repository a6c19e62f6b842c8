/*
 * Reads what birdc prints (BIRD 2.0, with `timeformat ... iso long ms`):
 * `show protocols all`, `show bfd sessions`, `show route export P` and the
 * answer to `configure`. Pure functions over text, tested on captured
 * output of the real daemon (test/announce/fixtures/).
 */

export interface BirdProtocol {
  name: string;
  proto: string;
  /** BIRD's protocol state: up, start, down, ... */
  state: string;
  /** When it entered that state (ms since the epoch), null if unreadable. */
  since: number | null;
  info: string;
  /** BGP only: Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  bgpState?: string;
  neighborAddress?: string;
  neighborAs?: number;
  /** BGP only: the last error, as BIRD words it (e.g. "Received: Hold timer expired"). */
  lastError?: string;
}

export interface BfdSession {
  address: string;
  interface: string;
  /** Up, Down, Init, AdminDown. */
  state: string;
  since: number | null;
}

/* "2026-12-04 12:43:02.583": BIRD prints local time without a zone. */
const TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/;

export function parseBirdTime(text: string): number | null {
  const m = TIME.exec(text.trim());
  if (!m) return null;
  const t = new Date(`${m[1]}T${m[2]}`).getTime();
  return Number.isNaN(t) ? null : t;
}

/** birdc's greeting ("BIRD 2.0.12 ready.") is not part of any answer. */
function answerLines(text: string): string[] {
  return text.split('\n').filter((line) => !/^BIRD [\d.]+ ready\.$/.test(line));
}

/* Header row: "Name       Proto      Table      State  Since         Info". */
const PROTOCOL_ROW = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?|\S+)\s*(.*)$/;

export function parseProtocols(text: string): BirdProtocol[] {
  const protocols: BirdProtocol[] = [];
  let current: BirdProtocol | undefined;
  for (const line of answerLines(text)) {
    if (line.startsWith('Name ') || line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      const m = PROTOCOL_ROW.exec(line);
      if (!m) continue;
      current = { name: m[1]!, proto: m[2]!, state: m[4]!, since: parseBirdTime(m[5]!), info: m[6]!.trim() };
      protocols.push(current);
      continue;
    }
    if (!current) continue;
    const detail = /^\s+(BGP state|Neighbor address|Neighbor AS|Last error):\s+(.*)$/.exec(line);
    if (!detail) continue;
    const value = detail[2]!.trim();
    if (detail[1] === 'BGP state') current.bgpState = value;
    else if (detail[1] === 'Neighbor address') current.neighborAddress = value;
    else if (detail[1] === 'Neighbor AS') current.neighborAs = Number(value);
    else current.lastError = value;
  }
  return protocols;
}

const BFD_ROW = /^(\S+)\s+(\S+)\s+(\S+)\s+(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)\s+\S+\s+\S+\s*$/;

export function parseBfdSessions(text: string): BfdSession[] {
  const sessions: BfdSession[] = [];
  for (const line of answerLines(text)) {
    const m = BFD_ROW.exec(line);
    if (m) sessions.push({ address: m[1]!, interface: m[2]!, state: m[3]!, since: parseBirdTime(m[4]!) });
  }
  return sessions;
}

/** The prefixes of `show route export P` ("198.18.100.1/32  unreachable [sluice_vips4 ...] * (200)"). */
export function parseExportedRoutes(text: string): string[] {
  const routes: string[] = [];
  for (const line of answerLines(text)) {
    const m = /^([0-9a-fA-F:.]+\/\d{1,3})\s/.exec(line);
    if (m) routes.push(m[1]!);
  }
  return routes.sort();
}

/**
 * True when BIRD took the new file: "Reconfigured", or "Reconfiguration in
 * progress" (it finishes on its own). Anything else (a parse error with its
 * file:line:column) is a refusal, and BIRD keeps running the previous config.
 */
export function configureAccepted(text: string): boolean {
  return answerLines(text).some((line) => /^(Reconfigured|Reconfiguration in progress)/.test(line.trim()));
}

/** The lines of a refused configure worth showing (not the greeting nor "Reading configuration from"). */
export function configureProblem(text: string): string {
  return answerLines(text)
    .filter((line) => line.trim() && !line.startsWith('Reading configuration from'))
    .join('; ');
}
