// Package shiptest holds the end-to-end tests of shipping an extension:
// wheels that pyinc builds for every Python found, installed with pip into
// fresh venvs (offline) and imported; the abi3 wheel under every 3.8+;
// pip install . and python -m build through the scaffold's in-tree
// backend; sdists; the meson-python example. The wheels are judged by
// tools outside pyinc: pip's tag checks, a RECORD check written here,
// twine check --strict and auditwheel show.
package shiptest
