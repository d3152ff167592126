/**
 * Reading a DomNet instance's start-up report, as the original setup did: the first lines of its
 * stderr must include `ICMs detected at address: 0 1 2 3 8 `. Success means the field hub's own ICM
 * (address 8) is there and exactly `n` in-ice ICMs answered.
 */
export const FIELD_HUB_ICM = 8;

export interface DomnetReport {
  ok: boolean;
  addresses: number[];
  reason?: string;
}

export function parseDomnetReport(lines: string[], nDevices: number): DomnetReport {
  const line = lines.find((l) => l.startsWith('ICMs detected at address'));
  if (!line)
    return { ok: false, addresses: [], reason: `no "ICMs detected at address" line in its report: ${JSON.stringify(lines.join(' | '))}` };
  const addresses = (line.split(':')[1] ?? '')
    .split(' ')
    .filter((t) => /^\d+$/.test(t))
    .map(Number);
  if (!addresses.includes(FIELD_HUB_ICM)) {
    return { ok: false, addresses, reason: `the field hub ICM (address 8) was not detected (addresses: ${addresses.join(' ') || 'none'})` };
  }
  const inIce = addresses.filter((a) => a !== FIELD_HUB_ICM);
  if (inIce.length !== nDevices) {
    return { ok: false, addresses, reason: `${inIce.length} in-ice ICMs detected (${inIce.join(' ') || 'none'}), expected ${nDevices}` };
  }
  return { ok: true, addresses };
}
