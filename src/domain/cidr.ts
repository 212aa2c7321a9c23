import { z } from "zod";

/**
 * IP address ranges as NetworkPolicies take them (`10.1.0.0/16`, `fd00:1::/64`). Only canonical
 * networks are accepted (no host bits set): Kubernetes refuses the others in an ipBlock, and a range
 * written `10.1.2.3/16` is more likely a mistake than a wish for 10.1.0.0/16.
 */
export interface Cidr {
  family: 4 | 6;
  /** The network address as a number. */
  address: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

/** The address as a number, or undefined when it is not an IPv4 or IPv6 literal. */
export function parseIp(text: string): { family: 4 | 6; address: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { family: 4, address: parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n) };
  }
  if (!/^[0-9a-fA-F:]+$/.test(text) || !text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { family: 6, address: all.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n) };
}

export const isIpLiteral = (text: string): boolean => parseIp(text) !== undefined;

/** A CIDR, or why the text is not one. */
export function parseCidr(text: string): Cidr | string {
  const [ip, prefixText, ...rest] = text.split("/");
  if (rest.length > 0 || prefixText === undefined || !/^\d{1,3}$/.test(prefixText))
    return `"${text}" is not a CIDR like 10.1.0.0/16 or fd00::/64`;
  const parsed = parseIp(ip!);
  if (!parsed) return `"${ip}" is not an IPv4 or IPv6 address`;
  const prefix = Number(prefixText);
  const bits = BITS[parsed.family];
  if (prefix > bits) return `/${prefix} is longer than an IPv${parsed.family} address`;
  const cidr = { family: parsed.family, address: parsed.address, prefix };
  const network = parsed.address & mask(cidr);
  if (network !== parsed.address)
    return `"${text}" has host bits set; the network is ${formatCidr({ ...cidr, address: network })}`;
  return cidr;
}

function mask(c: Pick<Cidr, "family" | "prefix">): bigint {
  const bits = BigInt(BITS[c.family]);
  const all = (1n << bits) - 1n;
  return (all >> BigInt(c.prefix)) ^ all;
}

export function formatCidr(c: Cidr): string {
  if (c.family === 4) {
    const octets = [24n, 16n, 8n, 0n].map((shift) => String((c.address >> shift) & 255n));
    return `${octets.join(".")}/${c.prefix}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) =>
    ((c.address >> BigInt(112 - 16 * i)) & 0xffffn).toString(16),
  );
  // The longest run of two or more zero groups becomes "::", as Kubernetes and `ip` write it.
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.length && j - i >= 2) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const text =
    best.at < 0
      ? groups.join(":")
      : `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.length).join(":")}`;
  return `${text}/${c.prefix}`;
}

/** Whether `inner` lies wholly within `outer` (same family, longer or equal prefix, same network). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family &&
    inner.prefix >= outer.prefix &&
    (inner.address & mask(outer)) === outer.address
  );
}

/** A host's own network: /32 for IPv4, /128 for IPv6. */
export function hostCidr(ip: string): Cidr | undefined {
  const parsed = parseIp(ip);
  return parsed ? { ...parsed, prefix: BITS[parsed.family] } : undefined;
}

/** The whole address space of a family: what "everywhere" means in an ipBlock. */
export const anywhere = (family: 4 | 6): Cidr => ({ family, address: 0n, prefix: 0 });

export const cidrSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
});
