/* src/core/rng.h - the random source is public API: include/vsq/rng.h. */
#ifndef VSQ_RNG_H
#define VSQ_RNG_H
#include "vsq/rng.h"
#endif
