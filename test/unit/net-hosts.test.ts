/** The one set of host helpers (net/hosts.ts): loopback, wildcards, IPv6 brackets, host:port. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bracketHost,
  dialableHost,
  hostPort,
  isLoopbackHost,
  isWildcardHost,
  splitHostPort,
  unbracketHost,
} from '../../net/hosts.ts';

describe('isLoopbackHost', () => {
  const cases: Array<[host: string, loopback: boolean, why: string]> = [
    ['localhost', true, 'the name'],
    ['LOCALHOST', true, 'names are case-insensitive (URL.hostname lowercases, env values may not)'],
    ['127.0.0.1', true, '127.0.0.0/8'],
    ['127.1.2.3', true, '127.0.0.0/8'],
    ['127.255.255.255', true, '127.0.0.0/8, its last address'],
    ['::1', true, 'IPv6 loopback, bare (start.ts used to say no)'],
    ['[::1]', true, 'IPv6 loopback as URL.hostname gives it'],
    ['0:0:0:0:0:0:0:1', true, 'IPv6 loopback, written out'],
    ['[0:0::1]', true, 'IPv6 loopback, bracketed and uncompressed'],
    ['::ffff:127.0.0.1', true, 'IPv4-mapped'],
    ['[::ffff:7f00:1]', true, 'IPv4-mapped as URL.hostname normalises it'],
    ['::1%lo', true, 'with a zone'],
    ['127.0.0.1.example.com', false, 'a name that starts like an address (both old copies said yes)'],
    ['127.example.com', false, 'a name that starts like an address'],
    ['localhost.example.com', false, 'a name that starts with localhost'],
    ['localhost.', false, 'a fully qualified name goes to DNS'],
    ['[localhost]', false, 'brackets are for IPv6 addresses only'],
    ['[127.0.0.1]', false, 'brackets are for IPv6 addresses only'],
    ['128.0.0.1', false, 'outside 127.0.0.0/8'],
    ['126.255.255.255', false, 'outside 127.0.0.0/8'],
    ['10.0.0.5', false, 'private, not loopback'],
    ['0.0.0.0', false, 'a wildcard listens on every interface'],
    ['::', false, 'a wildcard listens on every interface'],
    ['[::]', false, 'a wildcard listens on every interface'],
    ['::2', false, 'not ::1'],
    ['::127.0.0.1', false, 'IPv4-compatible (deprecated), not mapped'],
    ['::ffff:128.0.0.1', false, 'IPv4-mapped, outside 127.0.0.0/8'],
    ['2001:db8::1', false, 'a global IPv6 address'],
    ['[2001:db8::1]', false, 'a global IPv6 address, bracketed'],
    ['127.1', false, 'not an address net.isIP accepts (inet_aton shorthand): safer to ask for the key'],
    ['0177.0.0.1', false, 'octal spelling, not an address net.isIP accepts'],
    [' 127.0.0.1', false, 'callers trim first'],
    ['', false, 'empty'],
    ['acme.ozmap.com.br', false, 'a name'],
  ];
  for (const [host, loopback, why] of cases) {
    it(`${JSON.stringify(host)} is ${loopback ? '' : 'not '}loopback: ${why}`, () => {
      assert.equal(isLoopbackHost(host), loopback);
    });
  }

  it('agrees with URL.hostname for loopback URLs', () => {
    for (const url of ['http://127.0.0.1:9994', 'http://localhost', 'http://[::1]:1', 'http://[::ffff:127.0.0.1]']) {
      assert.equal(isLoopbackHost(new URL(url).hostname), true, url);
    }
    assert.equal(isLoopbackHost(new URL('http://127.0.0.1.example.com:9994').hostname), false);
  });
});

describe('dialableHost and isWildcardHost', () => {
  const cases: Array<[host: string, dial: string]> = [
    ['0.0.0.0', '127.0.0.1'],
    ['::', '::1'],
    ['[::]', '::1'],
    ['0:0:0:0:0:0:0:0', '::1'],
    ['::ffff:0.0.0.0', '127.0.0.1'],
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['[::1]', '[::1]'],
    ['localhost', 'localhost'],
    ['10.0.0.5', '10.0.0.5'],
    ['0.0.0.0.example.com', '0.0.0.0.example.com'],
    ['', ''],
  ];
  for (const [host, dial] of cases) {
    it(`dials ${JSON.stringify(host)} as ${JSON.stringify(dial)}`, () => {
      assert.equal(dialableHost(host), dial);
      assert.equal(isWildcardHost(host), dial !== host);
    });
  }
});

describe('IPv6 brackets and host:port', () => {
  it('brackets IPv6 addresses only, once', () => {
    assert.equal(bracketHost('::1'), '[::1]');
    assert.equal(bracketHost('2001:db8::1'), '[2001:db8::1]');
    assert.equal(bracketHost('[::1]'), '[::1]');
    assert.equal(bracketHost('127.0.0.1'), '127.0.0.1');
    assert.equal(bracketHost('localhost'), 'localhost');
  });

  it('unbrackets IPv6 addresses only', () => {
    assert.equal(unbracketHost('[::1]'), '::1');
    assert.equal(unbracketHost('::1'), '::1');
    assert.equal(unbracketHost('[localhost]'), '[localhost]');
    assert.equal(unbracketHost('127.0.0.1'), '127.0.0.1');
  });

  it('builds host:port from bare or bracketed hosts', () => {
    assert.equal(hostPort('127.0.0.1', 7233), '127.0.0.1:7233');
    assert.equal(hostPort('::1', 7233), '[::1]:7233');
    assert.equal(hostPort('[::1]', '7233'), '[::1]:7233');
    assert.equal(hostPort('localhost', 3000), 'localhost:3000');
    assert.equal(`http://${hostPort('::', 3000)}`, 'http://[::]:3000');
  });

  it('splits host:port, giving the host bare', () => {
    const cases: Array<[address: string, host: string, port: number | undefined]> = [
      ['127.0.0.1:7233', '127.0.0.1', 7233],
      ['localhost:7233', 'localhost', 7233],
      ['ns.acct.tmprl.cloud:7233', 'ns.acct.tmprl.cloud', 7233],
      ['[::1]:7233', '::1', 7233],
      ['[::1]', '::1', undefined],
      ['::1', '::1', undefined],
      ['2001:db8::1', '2001:db8::1', undefined],
      ['localhost', 'localhost', undefined],
    ];
    for (const [address, host, port] of cases) assert.deepEqual(splitHostPort(address), { host, port }, address);
    assert.ok(Number.isNaN(splitHostPort('localhost:http').port), 'a port that is not a number is NaN');
  });
});
