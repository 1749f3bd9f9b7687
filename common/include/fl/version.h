/* SPDX-License-Identifier: MIT */
#ifndef FL_VERSION_H
#define FL_VERSION_H

#ifndef FL_VERSION
#define FL_VERSION "0.1.0"
#endif

#endif
