package layout_test

import (
	"strings"
	"testing"

	"github.com/pyinc/pyinc/layout"
)

// freeThreaded is a made-up free-threaded Python.h in the shape of 3.13's:
// biased counting, the thread id read by asm (THREAD_ID).
const freeThreaded = `
#define Py_GIL_DISABLED 1
#include <stdint.h>
typedef struct _typeobject PyTypeObject;
typedef struct _object {
    uintptr_t ob_tid; uint16_t ob_flags; uint8_t ob_mutex; uint8_t ob_gc_bits;
    uint32_t ob_ref_local; long ob_ref_shared; PyTypeObject *ob_type;
} PyObject;
#define _Py_IMMORTAL_REFCNT_LOCAL UINT32_MAX
#define _Py_REF_SHARED_SHIFT 2
void Py_IncRef(PyObject *);
void Py_DecRef(PyObject *);
void _Py_DecRefShared(PyObject *);
void _Py_MergeZeroLocalRefcount(PyObject *);
static inline uintptr_t _Py_ThreadId(void) { uintptr_t tid; __asm__(THREAD_ID : "=r" (tid)); return tid; }
static inline int _Py_IsOwnedByCurrentThread(PyObject *ob) { return ob->ob_tid == _Py_ThreadId(); }
static inline void Py_INCREF(PyObject *op) {
    uint32_t new_local = op->ob_ref_local + 1;
    if (new_local == 0) return;
    if (_Py_IsOwnedByCurrentThread(op)) op->ob_ref_local = new_local;
    else __atomic_fetch_add(&op->ob_ref_shared, 1 << _Py_REF_SHARED_SHIFT, __ATOMIC_RELAXED);
}
static inline void Py_DECREF(PyObject *op) {
    uint32_t local = op->ob_ref_local;
    if (local == _Py_IMMORTAL_REFCNT_LOCAL) return;
    if (_Py_IsOwnedByCurrentThread(op)) {
        op->ob_ref_local = --local;
        if (local == 0) _Py_MergeZeroLocalRefcount(op);
    } else _Py_DecRefShared(op);
}
`

// The free-threaded scheme is the headers' biased counting when they read
// the thread id at fs:0 (x86-64 Linux); with another thread id (gs, as
// macOS and Windows have it) the macros call functions instead.
func TestBiasedFromHeaders(t *testing.T) {
	m := build(t, strings.Replace(freeThreaded, "THREAD_ID", `"movq %%fs:0, %0"`, 1))
	rc := m.RefCount
	if rc == nil || rc.Kind != layout.RefBiased || rc.Field != "ob_ref_local" || rc.Shared != "ob_ref_shared" || rc.Owner != "ob_tid" ||
		rc.Immortal != "_Py_IMMORTAL_REFCNT_LOCAL" || rc.SharedShift != "_Py_REF_SHARED_SHIFT" ||
		rc.Merge != "_Py_MergeZeroLocalRefcount" || rc.DecShared != "_Py_DecRefShared" {
		t.Errorf("fs:0 thread id: scheme %+v, omitted %v", rc, m.Omitted)
	}
	m = build(t, strings.Replace(freeThreaded, "THREAD_ID", `"movq %%gs:0, %0"`, 1))
	if rc := m.RefCount; rc == nil || rc.Kind != layout.RefCall || rc.Inc != "Py_IncRef" {
		t.Errorf("gs:0 thread id: scheme %+v, want calls", rc)
	}
	m = build(t, strings.Replace(strings.Replace(freeThreaded, "THREAD_ID", `"movq %%fs:0, %0"`, 1), "_Py_MergeZeroLocalRefcount(op);", "(void)0;", 1))
	if rc := m.RefCount; rc == nil || rc.Kind != layout.RefCall {
		t.Errorf("a Py_DECREF that merges no count: scheme %+v, want calls", rc)
	}
}
