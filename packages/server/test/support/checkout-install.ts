import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A project of someone's own, outside the checkout, where a guide's install command ran. */
export interface OutsideProject {
  dir: string;
  /** What the guide's pack command (run in the checkout) and install command (run in `dir`) did. */
  packed: SpawnSyncReturns<string>;
  installed: SpawnSyncReturns<string>;
  remove(): void;
}

/**
 * Runs a guide's "install from a Tessera checkout" blocks as written, in bash: `pack` in the checkout
 * at `root`, then `install` in a new ESM project outside it. `~` is a fresh home; npm uses the
 * operator's own cache, so the install finds the packages this machine already has.
 */
export function installFromCheckout(root: string, pack: string, install: string): OutsideProject {
  const home = mkdtempSync(join(tmpdir(), 'tessera-home-'));
  const dir = mkdtempSync(join(tmpdir(), 'tessera-app-'));
  const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
  const env = { PATH: process.env.PATH ?? '', HOME: home, npm_config_cache: cache, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  const bash = (block: string, cwd: string) => spawnSync('bash', ['-euc', block], { cwd, encoding: 'utf8', env });
  const packed = bash(pack, root);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const installed = packed.status === 0 ? bash(install, dir) : packed;
  return {
    dir,
    packed,
    installed,
    remove: () => {
      rmSync(home, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
