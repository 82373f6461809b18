import { readFile, stat } from 'node:fs/promises';
import { type RegistryAuth, RegistryAuthError, RegistryCredentials } from './registry-auth';

/** Where a bad or missing file is reported (messages name the file and registry, never a secret). */
export type AuthFileWarn = (message: string, fields: Record<string, unknown>) => void;

/**
 * REGISTRY_AUTH_FILE, kept current: before each pull the file's identity (inode, size, mtime)
 * is checked, and a changed file is read again, so rotated credentials apply to the next pull
 * without a restart or a signal. A file that becomes unreadable or invalid keeps the last good
 * credentials in use, with a warning; at start it is an error.
 */
export class RegistryAuthFile {
  private current = RegistryCredentials.none;
  private identity = '';

  private constructor(
    readonly path: string,
    private readonly warn: AuthFileWarn,
  ) {}

  /** Reads the file once; throws RegistryAuthError saying what is wrong with it. */
  static async open(path: string, warn: AuthFileWarn): Promise<RegistryAuthFile> {
    const file = new RegistryAuthFile(path, warn);
    await file.reload();
    return file;
  }

  get registries(): string[] {
    return this.current.registries;
  }

  /** The credentials for an image's registry, from the file as it is now. */
  async for(image: string): Promise<RegistryAuth | undefined> {
    try {
      await this.reloadIfChanged();
    } catch (err) {
      this.warn('REGISTRY_AUTH_FILE could not be read again; keeping the credentials read before', { path: this.path, error: (err as Error).message });
    }
    return this.current.for(image);
  }

  private async reloadIfChanged(): Promise<void> {
    if ((await this.identityNow()) !== this.identity) await this.reload();
  }

  private async reload(): Promise<void> {
    const identity = await this.identityNow();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      throw new RegistryAuthError(`REGISTRY_AUTH_FILE ${this.path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      this.current = RegistryCredentials.parse(text);
    } catch (err) {
      // Remembered, so a bad file is reported once, not at every pull.
      this.identity = identity;
      throw new RegistryAuthError(`REGISTRY_AUTH_FILE ${this.path}: ${(err as Error).message}`);
    }
    this.identity = identity;
  }

  private async identityNow(): Promise<string> {
    try {
      const s = await stat(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      throw new RegistryAuthError(`REGISTRY_AUTH_FILE ${this.path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}
