/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_NETLINK_H
#define _KSVC_NETLINK_H

int ksvc_netlink_init(void);
void ksvc_netlink_uninit(void);

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
struct genl_ops;
const struct genl_ops *ksvc_netlink_op(u8 cmd);
#endif

#endif /* _KSVC_NETLINK_H */
