//! The process's allocator: mimalloc, called the way its C API is fastest.
//!
//! Extraction makes and frees many small objects (match trees, field values) on every
//! worker thread; glibc's allocator spent a tenth of the run on them, mimalloc's per-thread
//! pages far less. The library itself uses whatever allocator its user chose.
//!
//! Why not the `mimalloc` crate's own `MiMalloc`: it hands every request to
//! `mi_malloc_aligned`. mimalloc 3 serves an aligned request from its plain fast path only
//! while a free block of the size class is at hand; otherwise a size that is not a power of
//! two (a 24- or 48-byte record part) is over-allocated through the generic aligned path.
//! Every mimalloc block is aligned to at least a machine word (size classes are multiples
//! of it and pages start aligned further), so a request aligned to a word or less needs no
//! aligned call at all; larger alignments still get one.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// The alignment every block mimalloc hands out has.
const BLOCK_ALIGN: usize = std::mem::size_of::<usize>();

/// mimalloc as the global allocator (see the module's documentation).
pub struct Mimalloc;

// SAFETY: mimalloc's functions meet `GlobalAlloc`'s contract: a block of at least the size
// asked for, aligned as asked (plain calls only where every block already is), or null;
// `mi_free` and `mi_realloc*` accept any pointer mimalloc returned.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain C calls; see the impl's comment for the alignment.
        unsafe {
            if layout.align() <= BLOCK_ALIGN {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if layout.align() <= BLOCK_ALIGN {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`'s alignment, which the new
        // block keeps.
        unsafe {
            if layout.align() <= BLOCK_ALIGN {
                mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size up to a few pages' worth of small classes, at every alignment up to 4 KB:
    /// blocks are aligned as asked, usable to their full size, zeroed when asked, and keep
    /// their contents when they grow. Plain calls for alignments they do not guarantee would
    /// fail the alignment check (checked by raising `BLOCK_ALIGN`).
    #[test]
    fn blocks_are_aligned_usable_and_keep_their_contents() {
        let a = Mimalloc;
        let mut held = Vec::new();
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for size in (1..=520).chain([1000, 4096, 10_000, 100_000]) {
                let layout = Layout::from_size_align(size, align).expect("a valid layout");
                // SAFETY: a non-zero size; every block is freed below with its layout.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size}, align {align}");
                    std::ptr::write_bytes(p, 0xA5, size);
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed, size {size}, align {align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    let grown = a.realloc(p, layout, size * 3);
                    assert_eq!(
                        grown as usize % align,
                        0,
                        "grown, size {size}, align {align}"
                    );
                    assert!(
                        std::slice::from_raw_parts(grown, size)
                            .iter()
                            .all(|&b| b == 0xA5)
                    );
                    // Kept a while, so later requests do not all reuse the same few blocks.
                    held.push((
                        grown,
                        Layout::from_size_align(size * 3, align).expect("valid"),
                    ));
                    held.push((z, layout));
                }
            }
            for (p, layout) in held.drain(..) {
                // SAFETY: allocated above with this layout, freed once.
                unsafe { a.dealloc(p, layout) }
            }
        }
    }
}
