#define PY_VERSION "3.97.0"
