import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Archive,
  bzImageRelease,
  hasCommand,
  localKernel,
  OracleError,
  parseKernelPackage,
  resolveSpec,
} from '../src/index';

// `apt-cache search` over bookworm … experimental, recorded 2026-12-01.
const names = readFileSync(join(__dirname, 'fixtures', 'apt-kernel-names.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);

describe('parseKernelPackage', () => {
  it('parses the three naming schemes and rejects other flavours', () => {
    expect(parseKernelPackage('linux-image-6.1.0-50-amd64-unsigned')).toMatchObject({
      version: [6, 1, 0],
      abi: 50,
      unsigned: true,
      release: '6.1.0-50-amd64',
    });
    expect(parseKernelPackage('linux-image-6.12.95+deb12-amd64')).toMatchObject({
      version: [6, 12, 95],
      release: '6.12.95+deb12-amd64',
    });
    expect(parseKernelPackage('linux-binary-7.3.4+deb13-amd64')).toMatchObject({
      kind: 'binary',
      version: [7, 3, 4],
    });
    expect(parseKernelPackage('linux-image-7.3-amd64')!.version[2]).toBe(-1);
    expect(parseKernelPackage('linux-image-6.12.95+deb12-cloud-amd64')).toBeNull();
    expect(parseKernelPackage('linux-image-6.18.15+deb13-amd64-dbg')).toBeNull();
  });
});

describe('resolveSpec against a recorded archive listing', () => {
  it('a series resolves to its newest release, preferring the unsigned image', () => {
    expect(resolveSpec('6.1', names).packages).toEqual(['linux-image-6.1.0-50-amd64-unsigned']);
    expect(resolveSpec('6.12', names).main).toBe('linux-image-6.12.117+deb13-amd64-unsigned');
    expect(resolveSpec('6.18', names).main).toBe('linux-image-6.18.15+deb13-amd64');
  });

  it('a full version picks that release', () => {
    expect(resolveSpec('6.12.95', names).main).toBe('linux-image-6.12.95+deb12-amd64-unsigned');
  });

  it("'latest' is the newest released kernel >= 6.15, as the 7.x binary + modules pair (the rc is skipped)", () => {
    const r = resolveSpec('latest', names);
    expect(r.packages).toEqual(['linux-binary-7.3.4+deb13-amd64', 'linux-modules-7.3.4+deb13-amd64']);
    expect(r.release).toBe('7.3.4+deb13-amd64');
  });

  it('a package name is taken as is', () => {
    expect(resolveSpec('linux-image-6.18.9+deb13-amd64', names).packages).toEqual([
      'linux-image-6.18.9+deb13-amd64',
    ]);
  });

  it('bad specs are one-line USAGE errors naming what is valid', () => {
    for (const spec of ['banana', '5.4', 'linux-image-9.9.9-amd64']) {
      let err: unknown;
      try {
        resolveSpec(spec, names);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OracleError);
      expect((err as OracleError).code).toBe('USAGE');
      expect((err as Error).message).toMatch(/latest/);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it("'latest' with nothing >= 6.15 in the archive is an error", () => {
    expect(() => resolveSpec('latest', ['linux-image-6.1.0-50-amd64'])).toThrow(/no amd64 kernel/);
  });
});

describe('a local bzImage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'daxref-oracle-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fake = (version: string) => {
    const b = Buffer.alloc(0x800);
    b.write('HdrS', 0x202, 'latin1');
    b.writeUInt16LE(0x400, 0x20e);
    b.write(`${version}\0`, 0x600, 'latin1');
    return b;
  };

  it('reads the release from the setup header', () => {
    expect(bzImageRelease(fake('6.19.0-rc3-dirty (me@box) #4 SMP'))).toBe('6.19.0-rc3-dirty');
    expect(bzImageRelease(Buffer.alloc(0x800))).toBeNull();
  });

  it('accepts a bzImage without modules, and rejects a missing or non-x86 file', () => {
    const p = join(dir, 'bzImage');
    writeFileSync(p, fake('6.20.0 (me@box)'));
    expect(localKernel(p, undefined)).toMatchObject({
      release: '6.20.0',
      version: '6.20.0',
      package: 'local',
      modulesDir: null,
    });
    expect(() => localKernel(join(dir, 'nope'), undefined)).toThrow(/does not exist/);
    const junk = join(dir, 'junk');
    writeFileSync(junk, 'not a kernel');
    expect(() => localKernel(junk, undefined)).toThrow(/not an x86 bzImage/);
    expect(() => localKernel(p, dir)).toThrow(/holds no modules tree for 6.20.0/);
  });
});

describe('an archive that does not answer', () => {
  it.skipIf(!hasCommand('apt-get'))('is a one-line ARCHIVE error', () => {
    const cache = mkdtempSync(join(tmpdir(), 'daxref-oracle-apt-'));
    const a = new Archive(cache);
    let err: unknown;
    try {
      a.update('http://127.0.0.1:9/debian'); // the discard port: connection refused
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OracleError);
    expect((err as OracleError).code).toBe('ARCHIVE');
    expect((err as Error).message).toMatch(/^the Debian archive did not answer \(apt-get update\)/);
    expect((err as Error).message).not.toContain('\n');
    rmSync(cache, { recursive: true, force: true });
  });
});
