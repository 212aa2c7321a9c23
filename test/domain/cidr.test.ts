import { describe, expect, it } from "vitest";
import {
  type Cidr,
  cidrContains,
  formatCidr,
  hostCidr,
  isIpLiteral,
  parseCidr,
} from "../../src/domain/cidr.js";

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
};

describe("CIDRs", () => {
  it("reads IPv4 and IPv6 networks and writes them back as Kubernetes does", () => {
    expect(formatCidr(cidr("10.1.0.0/16"))).toBe("10.1.0.0/16");
    expect(formatCidr(cidr("0.0.0.0/0"))).toBe("0.0.0.0/0");
    expect(formatCidr(cidr("fd00:1::/48"))).toBe("fd00:1::/48");
    expect(formatCidr(cidr("::/0"))).toBe("::/0");
    expect(formatCidr(cidr("2001:db8:0:0:1:0:0:1/128"))).toBe("2001:db8::1:0:0:1/128");
  });

  it("refuses what is not a canonical network, saying what is wrong", () => {
    expect(parseCidr("10.1.2.3/16")).toBe('"10.1.2.3/16" has host bits set; the network is 10.1.0.0/16');
    expect(parseCidr("10.1.0.0")).toMatch(/is not a CIDR/);
    expect(parseCidr("10.1.0.300/32")).toMatch(/is not an IPv4 or IPv6 address/);
    expect(parseCidr("10.1.0.0/33")).toBe("/33 is longer than an IPv4 address");
    expect(parseCidr("fd00::1::/64")).toMatch(/is not an IPv4 or IPv6 address/);
    expect(parseCidr("db.dc1.example/32")).toMatch(/is not an IPv4 or IPv6 address/);
  });

  it("tells whether one range lies within another", () => {
    expect(cidrContains(cidr("10.1.0.0/16"), cidr("10.1.20.5/32"))).toBe(true);
    expect(cidrContains(cidr("10.1.0.0/16"), cidr("10.2.0.0/16"))).toBe(false);
    expect(cidrContains(cidr("10.1.0.0/16"), cidr("10.0.0.0/8"))).toBe(false);
    expect(cidrContains(cidr("0.0.0.0/0"), cidr("fd00::/8"))).toBe(false);
    expect(cidrContains(cidr("fd00:1::/48"), hostCidr("fd00:1:0:5::1")!)).toBe(true);
  });

  it("tells an address from a host name", () => {
    expect(isIpLiteral("10.1.20.5")).toBe(true);
    expect(isIpLiteral("fd00:1::5")).toBe(true);
    expect(isIpLiteral("pg-primary.dc1.example")).toBe(false);
    expect(formatCidr(hostCidr("10.1.20.5")!)).toBe("10.1.20.5/32");
  });
});
