/**
 * Where the local stand-ins live and how they get there. `scripts/install-tools.sh` builds
 * them once per machine (Go module proxy, PyPI) and copies them into the project's `.tools/`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ByokError, ErrorCode } from '../base/errors.js';

/** The project's root folder (two levels above this file). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The local tools this project can install. */
export const Tool = {
  FerretDb: 'ferretdb',
  LocalKms: 'local-kms',
  Moto: 'moto',
} as const;
export type Tool = (typeof Tool)[keyof typeof Tool];

const binaries: Record<Tool, string> = {
  ferretdb: join(projectRoot, '.tools', 'bin', 'ferretdb'),
  'local-kms': join(projectRoot, '.tools', 'bin', 'local-kms'),
  moto: join(projectRoot, '.tools', 'venv', 'bin', 'moto_server'),
};

/** Path of a tool's executable, installing it first if it is missing. */
export function toolPath(tool: Tool): string {
  const path = binaries[tool];
  if (existsSync(path)) return path;

  const script = join(projectRoot, 'scripts', 'install-tools.sh');
  const result = spawnSync('bash', [script, tool], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0 || !existsSync(path)) {
    throw new ByokError(
      ErrorCode.NotSupported,
      `could not install ${tool} with scripts/install-tools.sh (needs go for ferretdb and ` +
        `local-kms, python3 for moto, and access to their package registries)`,
    );
  }
  return path;
}
