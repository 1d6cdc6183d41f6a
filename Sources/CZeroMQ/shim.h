#ifndef HQT_CZEROMQ_SHIM_H
#define HQT_CZEROMQ_SHIM_H
#include <zmq.h>
#endif
