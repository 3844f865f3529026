import { lstat, mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Makes `dst` (created 0700) Terraform's working directory for the root module in `src`: one
 * symbolic link per top-level entry of `src` (files and folders such as `modules/`; dot-entries
 * such as `.terraform` and `.terraform.lock.hcl` excluded), links that no longer match removed.
 * Terraform reads the configuration through the links, and whatever it writes into its working
 * directory (`errored.tfstate`, `.terraform.lock.hcl`) stays in `dst`, never in `src`.
 * Files of `dst` that are not links (e.g. `errored.tfstate`) are left alone.
 * @throws the fs error when `dst` cannot be created or written.
 */
export async function syncModuleDir(src: string, dst: string): Promise<void> {
  const from = resolve(src);
  await mkdir(dst, { recursive: true, mode: 0o700 });
  const wanted = new Map<string, string>();
  for (const name of await readdir(from)) {
    if (name.startsWith('.')) continue;
    wanted.set(name, join(from, name));
  }
  for (const name of await readdir(dst)) {
    const p = join(dst, name);
    const st = await lstat(p);
    if (!st.isSymbolicLink()) continue;
    const target = await readlink(p);
    if (wanted.get(name) === target) wanted.delete(name);
    else await rm(p, { force: true });
  }
  for (const [name, target] of wanted) {
    const p = join(dst, name);
    // A regular file of the same name (left by Terraform) would block the link: keep it, skip.
    if (await lstat(p).then(() => true, () => false)) continue;
    await symlink(target, p);
  }
}
