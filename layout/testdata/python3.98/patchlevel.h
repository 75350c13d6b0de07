#define PY_VERSION "3.98.4"
