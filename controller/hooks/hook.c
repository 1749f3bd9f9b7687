/* SPDX-License-Identifier: MIT */
/* The registry of hook modules and their config check (hook.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"

static const struct fl_hook_module *const modules[] = {
	&fl_hook_ticker,
	&fl_hook_integrity,
};

const struct fl_hook_module *fl_hook_module_find(const char *name)
{
	for (size_t i = 0; name && i < FL_ARRAY_SIZE(modules); i++)
		if (strcmp(modules[i]->name, name) == 0)
			return modules[i];
	return NULL;
}

const struct fl_hook_module *fl_hook_module_at(unsigned i)
{
	return i < FL_ARRAY_SIZE(modules) ? modules[i] : NULL;
}

const char *fl_hook_list(const char *const *names, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return "";
	buf[0] = '\0';
	for (unsigned i = 0; names && names[i] && len < size; i++) {
		int r = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", names[i]);
		if (r < 0)
			break;
		len += (size_t)r;
	}
	return buf;
}

bool fl_hook_listed(const char *const *names, const char *name)
{
	for (unsigned i = 0; names && name && names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

const char *fl_hook_module_names(char *buf, size_t size)
{
	const char *names[FL_ARRAY_SIZE(modules) + 1] = { NULL };

	for (size_t i = 0; i < FL_ARRAY_SIZE(modules); i++)
		names[i] = modules[i]->name;
	return fl_hook_list(names, buf, size);
}

int fl_hook_check_config(const struct fl_hook_module *m, const json_t *config, struct fl_diag *diag)
{
	const char *key, *field = NULL;
	json_t *value;
	char list[256];
	int r;

	if (config && json_is_null(config))
		config = NULL;
	if (config && !json_is_object(config))
		return fl_diag_set(diag, -EINVAL, "config: expected an object");
	json_object_foreach((json_t *)config, key, value)
	{
		if (!fl_hook_listed(m->config_fields, key))
			return fl_diag_set(diag, -EINVAL,
					   "config: unknown field \"%s\" (expected %s)", key,
					   fl_hook_list(m->config_fields, list, sizeof(list)));
	}
	r = m->check_config(config, &field, diag);
	if (r < 0 && field)
		return fl_diag_prefix(diag, r, "config.%s", field);
	if (r < 0)
		return fl_diag_prefix(diag, r, "config");
	return 0;
}
