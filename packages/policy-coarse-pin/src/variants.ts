import type { PolicyVariant } from '@daxref/core';

/** The variant ids of the coarse-pin design. */
export type CoarsePinVariantId = 'block' | 'revoke';

/** The variants of `coarse-pin`, as `daxref list` shows them (DOMAIN §4). */
export const coarsePinVariants: readonly PolicyVariant[] = Object.freeze([
  {
    id: 'block',
    description: '"pmem as memory": unbind waits until every DAX VMA is closed, however long that takes',
    source: "Dan Williams' reply to Andrew Morton on the 2015 ZONE_DEVICE get_page() hook; seed 001",
    default: true,
  },
  {
    id: 'revoke',
    description:
      '"pmem as storage device": the device is pinned only while I/O is in flight (each GUP reference holds the pgmap); unbind zaps every DAX mapping, SIGBUS-kills the mappers and waits for the I/O',
    source:
      'seed 001: "pin it active only while i/o is in flight and forcibly revoke mappings on an unbind/remove event" (unmap_mapping_range + mf_dax_kill_procs-style kill)',
  },
]);
