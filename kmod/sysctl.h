/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_SYSCTL_H
#define _KSVC_SYSCTL_H

struct ksvc_net;

int ksvc_sysctl_register(struct ksvc_net *ns);
void ksvc_sysctl_unregister(struct ksvc_net *ns);

#endif /* _KSVC_SYSCTL_H */
