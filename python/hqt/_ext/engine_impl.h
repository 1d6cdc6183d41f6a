/*
 * engine_impl.h -- declarations shared by the files of the Engine type
 * (engine.c, engine_data.c, engine_trading.c, engine_state.c,
 * report.c); not used
 * elsewhere in the extension.
 */
#ifndef HQT_ENGINE_IMPL_H
#define HQT_ENGINE_IMPL_H

#include "hqt_ext.h"

static inline int
check_usable(HQTEngineObject *self)
{
    if (self->engine == NULL) {
        hqt_set_error(HQT_E_STATE, "this Engine is disposed (or its __init__ failed); "
                                   "create a new one");
        return -1;
    }
    if (self->nogil_busy) {
        hqt_set_error(HQT_E_BUSY, "this Engine is running in another thread");
        return -1;
    }
    return 0;
}

#define ENTER(self)                          \
    do {                                     \
        if (check_usable(self) < 0)          \
            return NULL;                     \
    } while (0)

/* Fastcall argument parser (engine.c), see hqt_parse_fastcall. */
#define parse_args hqt_parse_fastcall

/* A symbol given by id (int) or by name (str) -> its id (engine.c). */
int hqt_engine_symbol_arg(HQTEngineObject *self, PyObject *obj, uint32_t *out);

/* Each file's methods and getters (NULL-terminated), joined by
   hqt_engine_type_init (engine.c). */
extern PyMethodDef hqt_engine_data_methods[];
extern PyGetSetDef hqt_engine_data_getset[];
extern PyMethodDef hqt_engine_trading_methods[];
extern PyMethodDef hqt_engine_state_methods[];
extern PyGetSetDef hqt_engine_state_getset[];
extern PyMethodDef hqt_engine_report_methods[]; /* report.c */
extern PyMethodDef hqt_engine_fast_methods[];   /* engine_fast.c */
extern PyGetSetDef hqt_engine_fast_getset[];
/* Forgets engine.positions' cached list (engine_fast.c). */
void hqt_engine_drop_caches(HQTEngineObject *self);

#endif /* HQT_ENGINE_IMPL_H */
