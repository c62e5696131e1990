import { describe, expect, it } from 'vitest';
import { BearerTokens, Secret } from '../src/index.js';

const first = 'first-token-0123456789';
const second = 'second-token-with-another-length-0123456789';

describe('BearerTokens', () => {
  const tokens = new BearerTokens([new Secret(first), new Secret(second)]);

  it('accepts a bearer header with any of the tokens, and nothing else', () => {
    expect(tokens.accepts(`Bearer ${first}`)).toBe(true);
    expect(tokens.accepts(`bearer ${second}`)).toBe(true);
    expect(tokens.accepts(`Bearer ${first.replace(/.$/, 'X')}`)).toBe(false);
    expect(tokens.accepts(`Basic ${first}`)).toBe(false);
    expect(tokens.accepts(undefined)).toBe(false);
    expect(new BearerTokens([]).accepts(`Bearer ${first}`)).toBe(false);
    expect(new BearerTokens([]).empty).toBe(true);
  });

  it('tells which token a bearer header holds', () => {
    expect(tokens.holderOf(`Bearer ${first}`)).toBe(0);
    expect(tokens.holderOf(`Bearer ${second}`)).toBe(1);
    expect(tokens.holderOf(`Bearer ${first}X`)).toBeUndefined();
  });

  it('signs for a token holder, and verifies while that token is configured', () => {
    const mac = tokens.sign(first, 'message');
    if (mac === undefined) throw new Error('a configured token signs');
    expect(mac).toHaveLength(32);
    expect(tokens.signerOf('message', mac)).toBe(0);
    expect(tokens.signerOf('another message', mac)).toBeUndefined();
    expect(tokens.signerOf('message', mac.subarray(0, 31))).toBeUndefined();
    const secondMac = tokens.sign(second, 'message');
    if (secondMac === undefined) throw new Error('a configured token signs');
    expect(tokens.signerOf('message', secondMac)).toBe(1);
    expect(tokens.sign('not-a-token-0123456789', 'message')).toBeUndefined();
    // The token left the configuration: what it signed no longer verifies.
    expect(new BearerTokens([new Secret(first)]).signerOf('message', mac)).toBe(0);
    expect(new BearerTokens([new Secret(second)]).signerOf('message', mac)).toBeUndefined();
  });
});
