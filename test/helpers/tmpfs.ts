import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small tmpfs mounted in a temp folder, to stand for a shared volume that fills up or turns
 * read-only (needs root, as the tests run). `dispose` unmounts it and removes the folder.
 */
export class TestVolume {
  readonly dir: string;
  private readonly filler: string;

  constructor(sizeMb = 16) {
    this.dir = mkdtempSync(join(tmpdir(), 'modelrun-vol-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755`, 'modelrun-test-vol', this.dir]);
    this.filler = join(this.dir, 'filler');
  }

  /** Fills the volume to the last byte (dd stops at ENOSPC). */
  fill(): void {
    spawnSync('dd', ['if=/dev/zero', `of=${this.filler}`, 'bs=64k'], { stdio: 'ignore' });
  }

  free(): void {
    rmSync(this.filler, { force: true });
  }

  readOnly(): void {
    execFileSync('mount', ['-o', 'remount,ro', this.dir]);
  }

  writable(): void {
    execFileSync('mount', ['-o', 'remount,rw', this.dir]);
  }

  dispose(): void {
    const res = spawnSync('umount', [this.dir]);
    // Something still holds a file open: detach now, the kernel frees it when they close.
    if (res.status !== 0) spawnSync('umount', ['-l', this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
