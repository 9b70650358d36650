import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { OracleError } from './errors';

/** The oldest kernel `latest` may resolve to: 6.15 merged the 0-based design. */
export const LATEST_MIN: readonly [number, number] = [6, 15];

/** Suites of Debian's archive searched for kernels (added beside, never into, the machine's apt sources). */
export const SUITES: readonly string[] = [
  'bookworm',
  'bookworm-backports',
  'trixie',
  'trixie-backports',
  'sid',
  'experimental',
];

/** A Debian kernel package name, parsed: `linux-image-6.12.95+deb12-amd64-unsigned`, `linux-image-6.1.0-50-amd64`, `linux-binary-7.3.4+deb13-amd64`. */
export interface KernelPackageName {
  name: string;
  kind: 'image' | 'binary';
  /** [major, minor, patch]; patch is 0 for 6.1's ABI names (6.1.0-50) and -1 for an rc (7.3-amd64). */
  version: [number, number, number];
  /** The Debian ABI number of 6.1-style names (`6.1.0-50` → 50), else 0. */
  abi: number;
  unsigned: boolean;
  /** The `uname -r` the package installs (`6.12.95+deb12-amd64`). */
  release: string;
}

const NAME_RE =
  /^linux-(image|binary)-((\d+)\.(\d+)(?:\.(\d+))?(?:-(\d+))?(?:\+[a-z0-9.]+)?-amd64)(-unsigned)?$/;

/** Parses a generic amd64 kernel package name; null for other flavours (cloud, rt), debug or meta packages. */
export function parseKernelPackage(name: string): KernelPackageName | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  const patch = m[5] === undefined ? -1 : Number(m[5]);
  return {
    name,
    kind: m[1] as 'image' | 'binary',
    version: [Number(m[3]), Number(m[4]), patch],
    abi: m[6] === undefined ? 0 : Number(m[6]),
    unsigned: m[7] !== undefined,
    release: m[2]!,
  };
}

function cmp(a: KernelPackageName, b: KernelPackageName): number {
  for (let i = 0; i < 3; i++) if (a.version[i] !== b.version[i]) return a.version[i]! - b.version[i]!;
  return a.abi - b.abi;
}

/** What a spec resolved to: the packages to download (one image, or the 7.x binary + modules pair). */
export interface ResolvedPackages {
  spec: string;
  /** The package named in results (the image or binary package). */
  main: string;
  packages: string[];
  release: string;
}

/** The specs `daxref oracle` understands, for error messages. */
export const SPEC_HELP =
  "a series (6.1, 6.12, 6.18), a version (6.12.95), 'latest' (the newest >= 6.15), a Debian package name, or a path to a bzImage";

/**
 * Picks the package for a spec from the archive's kernel package names (`apt-cache search` output):
 * `M.m` = the newest release of that series, `M.m.p` = that release, `latest` = the newest release
 * >= 6.15 (rcs excluded), or an exact package name. Unsigned images are preferred (same kernel);
 * a 7.x `linux-binary-*` is paired with its `linux-modules-*`.
 */
export function resolveSpec(spec: string, names: readonly string[]): ResolvedPackages {
  const all = names.map(parseKernelPackage).filter((p): p is KernelPackageName => p !== null);
  const have = new Set(names);
  let pick: KernelPackageName | undefined;
  if (parseKernelPackage(spec) !== null || /^linux-(image|binary)-/.test(spec)) {
    pick = all.find((p) => p.name === spec);
    if (!pick)
      throw new OracleError('USAGE', `kernel package '${spec}' is not in the archive; valid: ${SPEC_HELP}`);
  } else {
    let cands: KernelPackageName[];
    if (spec === 'latest') {
      cands = all.filter(
        (p) =>
          p.version[2] >= 0 &&
          (p.version[0] > LATEST_MIN[0] || (p.version[0] === LATEST_MIN[0] && p.version[1] >= LATEST_MIN[1])),
      );
    } else {
      const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(spec);
      if (!m) throw new OracleError('USAGE', `unknown kernel spec '${spec}'; valid: ${SPEC_HELP}`);
      const [maj, min] = [Number(m[1]), Number(m[2])];
      cands = all.filter((p) => p.version[0] === maj && p.version[1] === min && p.version[2] >= 0);
      if (m[3] !== undefined) {
        const patch = Number(m[3]);
        // 6.1's packages are named by ABI (6.1.0-50): a full 6.1.y version cannot be matched by name.
        cands = cands.filter((p) => p.version[2] === patch);
      }
    }
    cands.sort(
      (a, b) => cmp(b, a) || Number(b.unsigned) - Number(a.unsigned) || (a.kind === 'binary' ? -1 : 1),
    );
    pick = cands[0];
    if (!pick)
      throw new OracleError(
        'USAGE',
        `no amd64 kernel package in the archive matches '${spec}'; valid: ${SPEC_HELP}`,
      );
  }
  const packages = [pick.name];
  if (pick.kind === 'binary') {
    const mod = `linux-modules-${pick.release}`;
    if (names.length > 0 && !have.has(mod)) {
      throw new OracleError('ARCHIVE', `${pick.name} has no ${mod} in the archive`);
    }
    packages.push(mod);
  }
  return { spec, main: pick.name, packages, release: pick.release };
}

/** Where kernels, the apt state and built guest programs are kept between runs. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'daxref', 'oracle');
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string) {
  return spawnSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd,
    maxBuffer: 64 << 20,
  });
}

/** A private apt configuration over Debian's archive (never the machine's own state). */
export class Archive {
  readonly dir: string;
  private names: string[] | null = null;
  constructor(cacheDir: string) {
    this.dir = join(cacheDir, 'apt');
  }

  private get env(): NodeJS.ProcessEnv {
    return { APT_CONFIG: join(this.dir, 'apt.conf') };
  }

  /** Writes the configuration and runs `apt-get update` (at most once a day). */
  update(mirror = 'http://deb.debian.org/debian'): void {
    for (const d of ['state/lists/partial', 'cache/archives/partial'])
      mkdirSync(join(this.dir, d), { recursive: true });
    const key = '/usr/share/keyrings/debian-archive-keyring.gpg';
    writeFileSync(
      join(this.dir, 'sources.list'),
      SUITES.map((s) => `deb [signed-by=${key}] ${mirror} ${s} main\n`).join(''),
    );
    writeFileSync(
      join(this.dir, 'apt.conf'),
      [
        `Dir::Etc::sourcelist "${join(this.dir, 'sources.list')}";`,
        'Dir::Etc::sourceparts "/nonexistent";',
        `Dir::State "${join(this.dir, 'state')}";`,
        'Dir::State::status "/var/lib/dpkg/status";',
        `Dir::Cache "${join(this.dir, 'cache')}";`,
        'APT::Architecture "amd64";',
        'APT::Sandbox::User "root";',
        'Acquire::Retries "2";',
        '',
      ].join('\n'),
    );
    const stamp = join(this.dir, 'updated');
    if (existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < 86_400_000) return;
    const r = run('apt-get', ['update', '-q'], this.env);
    const lists = readdirSync(join(this.dir, 'state/lists')).filter((f) => f.includes('_Packages'));
    if (r.status !== 0 || lists.length === 0) {
      const err = (r.stderr || r.stdout || '')
        .trim()
        .split('\n')
        .filter((l) => /^(E|Err):/.test(l))[0];
      throw new OracleError(
        'ARCHIVE',
        `the Debian archive did not answer (apt-get update): ${err ?? `exit ${r.status}`}`,
      );
    }
    writeFileSync(stamp, new Date().toISOString());
  }

  /** The archive's kernel package names. */
  kernelNames(): string[] {
    if (this.names) return this.names;
    const r = run('apt-cache', ['search', '--names-only', '^linux-(image|binary|modules)-[0-9]'], this.env);
    if (r.status !== 0) throw new OracleError('ARCHIVE', `apt-cache search failed: ${r.stderr.trim()}`);
    this.names = r.stdout
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n !== '');
    return this.names;
  }

  /** The package's version (`6.1.176-1`). */
  version(pkg: string): string {
    const r = run('apt-cache', ['show', '--no-all-versions', pkg], this.env);
    const m = /^Version: (.+)$/m.exec(r.stdout);
    return m ? m[1]!.trim() : '?';
  }

  /** Downloads (once) and unpacks (once) the packages into `<cache>/kernels/<main>`; returns that directory. */
  fetch(r: ResolvedPackages, cacheDir: string, log: (l: string) => void): string {
    const debs = join(cacheDir, 'debs');
    const root = join(cacheDir, 'kernels', r.main);
    if (existsSync(join(root, '.complete'))) return root;
    mkdirSync(debs, { recursive: true });
    for (const pkg of r.packages) {
      const have = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
      if (have) continue;
      log(`downloading ${pkg}`);
      const d = run('apt-get', ['download', '-q', pkg], this.env, debs);
      if (d.status !== 0) {
        throw new OracleError(
          'ARCHIVE',
          `apt-get download ${pkg} failed: ${d.stderr.trim().split('\n').pop()}`,
        );
      }
    }
    const tmp = `${root}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const pkg of r.packages) {
      const deb = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))!;
      log(`unpacking ${deb}`);
      const x = run('dpkg-deb', ['-x', join(debs, deb), tmp]);
      if (x.status !== 0) throw new OracleError('ARCHIVE', `dpkg-deb -x ${deb} failed: ${x.stderr.trim()}`);
    }
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
    writeFileSync(join(root, '.complete'), `${r.packages.join(' ')}\n`);
    return root;
  }
}

/** A bootable kernel: its image and its modules tree. */
export interface KernelImage {
  /** The spec the user gave. */
  spec: string;
  /** The Debian package (or `local`). */
  package: string;
  /** `uname -r`. */
  release: string;
  /** The upstream version, `6.12.95`. */
  version: string;
  bzImage: string;
  /** `.../lib/modules/<release>` with a modules.dep, or null when everything is built in. */
  modulesDir: string | null;
}

/** Runs `depmod -b` when an unpacked tree has no modules.dep (Debian builds it at install time). */
export function ensureDepmod(modulesDir: string, release: string): void {
  if (existsSync(join(modulesDir, 'modules.dep'))) return;
  const base = resolve(modulesDir, '..', '..', '..');
  const r = run('depmod', ['-b', base, release]);
  if (r.status !== 0 || !existsSync(join(modulesDir, 'modules.dep'))) {
    throw new OracleError('BUILD', `depmod -b ${base} ${release} failed: ${r.stderr.trim()}`);
  }
}

/** The image and modules of an unpacked Debian kernel package. */
export function kernelFromTree(root: string, spec: string, pkg: string, debVersion: string): KernelImage {
  const modRoot = join(root, 'lib', 'modules');
  const usrRoot = join(root, 'usr', 'lib', 'modules');
  const mr = existsSync(modRoot) ? modRoot : usrRoot;
  const release = readdirSync(mr).filter((d) => existsSync(join(mr, d, 'kernel')))[0];
  if (!release) throw new OracleError('ARCHIVE', `${pkg} holds no modules tree`);
  const boot = join(root, 'boot');
  let bz = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) : undefined;
  let bzImage = bz ? join(boot, bz) : join(mr, release, 'vmlinuz');
  if (!existsSync(bzImage)) {
    bz = undefined;
    bzImage = '';
  }
  if (!bzImage) throw new OracleError('ARCHIVE', `${pkg} holds no kernel image`);
  const modulesDir = join(mr, release);
  ensureDepmod(modulesDir, release);
  return { spec, package: pkg, release, version: debVersion.replace(/-[^-]*$/, ''), bzImage, modulesDir };
}

/** Reads the version string a bzImage carries in its setup header (`6.12.0-rc1 (user@host) #1 ...`). */
export function bzImageRelease(buf: Buffer): string | null {
  if (buf.length < 0x210 || buf.toString('latin1', 0x202, 0x206) !== 'HdrS') return null;
  const off = buf.readUInt16LE(0x20e) + 0x200;
  if (off >= buf.length) return null;
  const end = buf.indexOf(0, off);
  const s = buf.toString('latin1', off, end < 0 ? Math.min(buf.length, off + 256) : end);
  return s.split(' ')[0] || null;
}

/**
 * A developer's own build: a bzImage plus, optionally, a modules directory (the `INSTALL_MOD_PATH`
 * of `make modules_install`, or its `lib/modules/<release>`).
 */
export function localKernel(bzImage: string, modules: string | undefined): KernelImage {
  if (!existsSync(bzImage) || !statSync(bzImage).isFile()) {
    throw new OracleError(
      'USAGE',
      `bzImage '${bzImage}' does not exist; give a path to a kernel image (arch/x86/boot/bzImage)`,
    );
  }
  const release = bzImageRelease(readFileSync(bzImage));
  if (release === null)
    throw new OracleError('USAGE', `'${bzImage}' is not an x86 bzImage (no HdrS setup header)`);
  let modulesDir: string | null = null;
  if (modules !== undefined) {
    const cands = [modules, join(modules, 'lib', 'modules', release), join(modules, release)];
    modulesDir =
      cands.find((d) => existsSync(join(d, 'modules.order')) || existsSync(join(d, 'modules.dep'))) ?? null;
    if (modulesDir === null) {
      throw new OracleError(
        'USAGE',
        `--modules '${modules}' holds no modules tree for ${release} (expected lib/modules/${release})`,
      );
    }
    ensureDepmod(modulesDir, release);
  }
  const version = /^(\d+\.\d+(?:\.\d+)?)/.exec(release)?.[1] ?? release;
  return { spec: bzImage, package: 'local', release, version, bzImage: resolve(bzImage), modulesDir };
}
