#ifndef HQT_CZLIB_SHIM_H
#define HQT_CZLIB_SHIM_H
#include <zlib.h>
#endif
