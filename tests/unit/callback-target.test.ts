/** Where callbacks may go (SSRF rules) and how they are signed. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allowedCidrs, callbackSecret, callbackUrlProblem, forbiddenAddress, signature } from '../../core/callback-target.ts';

describe('callback addresses', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.0.10', 'a private address'],
    ['169.254.169.254', 'a link-local address (cloud metadata lives there)'],
    ['100.100.100.200', 'a shared (carrier-grade NAT) address'],
    ['0.0.0.0', 'a "this network" address'],
    ['224.0.0.251', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
    ['198.18.0.1', 'a benchmarking address'],
    ['::1', 'a loopback address'],
    ['::', 'the unspecified address'],
    ['fd00:ec2::254', 'a unique-local address'],
    ['fe80::1', 'a link-local address'],
    ['ff02::1', 'a multicast address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:a9fe:a9fe', 'a link-local address (cloud metadata lives there)'],
    ['64:ff9b::a9fe:a9fe', 'a NAT64 address'],
    ['2002:a9fe:a9fe::', 'a 6to4 address'],
  ])('refuses %s as %s', (address, reason) => {
    expect(forbiddenAddress(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:82b::200e'])('allows the public address %s', (address) => {
    expect(forbiddenAddress(address)).toBeUndefined();
  });

  it("lets an operator's CIDRs through, and only those", () => {
    const allowed = allowedCidrs('127.0.0.1/32, 10.1.0.0/16');
    expect(forbiddenAddress('127.0.0.1', allowed)).toBeUndefined();
    expect(forbiddenAddress('10.1.9.9', allowed)).toBeUndefined();
    expect(forbiddenAddress('10.2.0.1', allowed)).toBe('a private address');
    expect(() => allowedCidrs('10.0.0.0')).toThrow(/not a CIDR/);
  });
});

describe('callback URLs as written', () => {
  it.each([
    ['ftp://example.com/x', 'must be an http or https URL'],
    ['file:///etc/passwd', 'must be an http or https URL'],
    ['https://user:pw@example.com/', 'must not carry credentials'],
    ['http://localhost:8080/', 'must name a public host'],
    ['http://intranet/', 'must name a public host'],
    ['http://127.0.0.1/', 'must not point at a loopback address'],
    ['http://[::ffff:169.254.169.254]/', 'must not point at a link-local address (cloud metadata lives there)'],
    ['http://169.254.169.254/latest/meta-data/', 'must not point at a link-local address (cloud metadata lives there)'],
    ['not a url', 'is not a valid URL'],
    [`https://example.com/${'x'.repeat(2048)}`, 'must be at most 2048 characters'],
  ])('refuses %s', (url, reason) => {
    expect(callbackUrlProblem(url)).toBe(reason);
  });

  it('accepts a public https URL with a query', () => {
    expect(callbackUrlProblem('https://hooks.example.com/judge0?token=abc')).toBeUndefined();
  });
});

describe('callback signatures', () => {
  it("derives a stable secret per tenant, and signs the timestamp with the body", () => {
    const secret = callbackSecret('k'.repeat(32), 'acme');
    expect(callbackSecret('k'.repeat(32), 'acme')).toBe(secret);
    expect(callbackSecret('k'.repeat(32), 'other')).not.toBe(secret);
    const expected = createHmac('sha256', secret).update('1700000000.{"a":1}').digest('hex');
    expect(signature(secret, '{"a":1}', 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });
});
