/* src/hw/hw.h - the hardware model is public API: include/vsq/hw.h. */
#ifndef VSQ_HW_H
#define VSQ_HW_H
#include "vsq/hw.h"
#include "vsq/vsq.h"
#endif
