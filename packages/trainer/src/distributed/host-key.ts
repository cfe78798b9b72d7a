// Identifies the machine a rank runs on, so the coordinator can tell whether ranks may share memory.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Hostname plus the kernel's boot id (Linux): two containers with the same hostname on different machines
 * differ, and the coordinator still probes a shared file before trusting the key.
 */
export function hostKey(): string {
  let bootId = '';
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // Not Linux: the hostname alone, confirmed by the probe.
  }
  return `${hostname()}/${bootId}`;
}
