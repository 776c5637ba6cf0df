package httpapi

import (
	"cmp"
	"net/http"
	"strings"

	"github.com/scangate/scangate/internal/geo"
)

// The console speaks Chinese by default and English on request: the
// sg_lang cookie (set by the switch in every page's header), else the
// first language of Accept-Language that it speaks, else Chinese.

const langCookie = "sg_lang"

// consoleText is one language's strings, by key.
type consoleText map[string]string

var consoleTexts = map[string]consoleText{
	"zh-CN": {
		"other_lang": "English", "other_lang_code": "en",
		"rules": "规则（按地点、时间、App 分流）", "rules_hint": "规则从上到下依次匹配，第一条符合的规则生效：它的目标替换链接对应 App 的目标，没写的 App 仍走链接本身。只填备用网址的规则把扫码送到那个网页（如打烊页）。留空的规则不保存。",
		"split": "A/B 测试", "split_hint": "没被规则接走的扫码按权重分给各版本，同一访客当天固定在一个版本。版本名会以 sg_v=名称 带进小程序的启动参数。没有目标的版本是对照组。至少两个版本。",
		"rule": "规则", "new_rule": "＋ 新规则", "variant": "版本", "revoke_their_keys": "同时吊销其创建的 API 密钥", "created_at": "创建时间", "created_by": "创建者", "ev_scan": "扫码", "ev_open": "打开", "ev_conversion": "转化", "all_campaigns": "全部活动", "stale_form": "保存前，这个链接已被修改（现在是 v%d，见右侧修改记录）。下面是你填写的内容，尚未保存；再次保存将覆盖那次修改。", "form_too_large": "表单太大，无法保存。", "limit_reached": "已达上限", "print_format": "格式", "print_pdf": "PDF 打印页", "print_png": "PNG 图片（ZIP）", "print_svg": "SVG 矢量图（ZIP）", "print_pdf_wxacode": "太阳码打印页（PDF）", "print_wxacode": "太阳码（ZIP）", "all_tags": "全部标签", "tag": "标签", "ch_gateway": "扫码经网关", "ch_app": "小程序内上报",
		"q_api_per_minute": "每分钟 API 调用", "q_bulk_rows_per_hour": "每小时批量导入行数", "q_exports_per_hour": "每小时导出二维码次数",
		"q_links": "链接数", "q_campaigns": "活动数", "q_tags": "标签数",
		"no_platforms": "这个网关没有启用平台连接。", "apps_hint": "登记小程序的 AppSecret 后，网关会自动生成微信 URL Link、太阳码和抖音链接。密钥加密保存，保存后不再显示；保存时立即向平台校验。",
		"app": "应用", "app_checked": "上次校验", "app_quota": "今日生成链接", "app_ok": "正常", "app_error": "被平台拒绝", "app_unchecked": "未校验",
		"app_held": "暂停生成链接至 %s（%s）", "service_account": "公众号", "app_register": "登记或更换小程序凭据", "platform": "平台",
		"service_appid": "公众号 AppID（开放标签用，可选）", "service_secret": "公众号 AppSecret", "service_domain": "JS 安全域名",
		"app_save": "保存并校验", "app_refused": "已保存，但平台拒绝了这组凭据：%d %s", "app_taken": "这个 AppID 已被其他账号登记。",
		"event_secret": "转化事件签名密钥", "event_secret_hint": "小程序上报转化时用它签名。生成新密钥后旧密钥立即失效，新密钥只显示一次。",
		"event_secret_new": "生成新密钥", "new_event_secret": "新的转化事件签名密钥：", "read_only_text": "这个网关正在从备份提供服务，暂时不能修改。",
		"funnel": "转化漏斗：扫码 → 打开小程序 → 转化（百分比为占上一步）", "ab_compare": "A/B 版本对比", "open_rate": "打开率", "conversion_rate": "转化率", "value_per_scan": "每次扫码金额",
		"f_max_scans_per_visitor.count": "每位访客最多扫码", "f_max_scans_per_visitor.per": "每", "per_": "不限", "per_hour": "小时", "per_day": "天",
		"f_params":    "参数（每行一个 key=value）",
		"f_rule.name": "规则名称", "f_rule.position": "顺序", "f_rule.remove": "删除这条规则", "f_rule.fallback_url": "跳转网址（无目标时）或超限备用网址",
		"f_when.platform": "宿主 App（不选为全部）", "f_when.os": "系统（不选为全部）", "f_when.region": "省份", "f_when.city": "城市",
		"f_when.country": "国家或地区代码", "f_when.lang": "语言", "f_when.time.days": "星期（不选为每天）", "f_when.time.from": "从（时:分）",
		"f_when.time.to": "到（时:分，不含）", "f_when.time.tz": "时区", "f_when.after": "生效起", "f_when.before": "生效止",
		"f_variant.name": "版本名（字母、数字）", "f_variant.weight": "权重", "f_variant.remove": "删除这个版本",
		"p_wecom": "企业微信", "p_dingtalk": "钉钉", "p_taobao": "淘宝", "p_tiktok": "TikTok", "p_feishu": "飞书", "p_weibo": "微博", "p_other_app": "其他 App",
		"os_other": "其他", "os_ios": "iOS", "os_android": "Android", "os_harmonyos": "鸿蒙", "os_windows": "Windows", "os_macos": "macOS", "os_linux": "Linux",
		"day_mon": "一", "day_tue": "二", "day_wed": "三", "day_thu": "四", "day_fri": "五", "day_sat": "六", "day_sun": "日",
		"selected": "选中的链接", "bulk_done": "已处理 %d 个链接。",
		"sun_code": "太阳码", "qr_options": "二维码样式", "qr_size": "尺寸", "qr_ecc": "容错级别", "qr_margin": "留白（模块）", "qr_fg": "前景色", "qr_bg": "背景色", "qr_caption": "下方文字", "qr_uppercase": "网址大写（码更小）", "qr_apply": "预览",
		"trash": "回收站", "trash_hint": "删除的链接在这里保留 30 天，扫码会跳到备用网址；恢复后一切照旧。", "purge_at": "彻底删除于", "restore": "恢复", "trash_empty": "回收站是空的。",
		"duplicate": "复制", "delete": "删除", "your_account": "我的账号", "sign_out_everywhere": "在所有设备上退出",
		"stats": "数据", "download_csv": "下载 CSV", "by_rule": "按规则",
		"sign_in": "登录", "sign_out": "退出", "email": "邮箱", "password": "密码",
		"login_hint":     "没有账号？请管理员在控制台邀请您，或在服务器上运行 gateway user create。",
		"bad_login":      "邮箱或密码不正确。",
		"too_many_tries": "尝试次数过多，请 %d 秒后再试。",
		"set_password":   "设置密码", "set_password_for": "为以下账号设置密码：", "new_password": "新密码（至少 10 个字符）",
		"save_and_sign_in": "保存并登录", "link_invalid": "此链接已失效或已使用，请联系管理员获取新链接。",
		"links": "链接", "viewer": "只读", "search": "搜索", "search_placeholder": "搜索码或标题，如：靠窗",
		"state": "状态", "all_states": "全部状态", "sort": "排序",
		"sort_created": "最新创建", "sort_updated": "最近修改", "sort_scans": "扫码最多",
		"st_active": "启用", "st_paused": "已暂停", "st_scheduled": "未开始", "st_expired": "已过期",
		"live": "生效中", "paused": "已暂停", "scheduled": "未开始", "expired": "已过期", "used_up": "已用完",
		"code": "码", "title": "标题", "campaign": "活动", "scans": "扫码次数",
		"no_links": "没有符合条件的链接。", "next_page": "下一页 →",
		"back_home": "返回控制台", "not_found": "未找到", "not_found_text": "没有这个页面，或它不属于您的租户。",
		"forbidden": "无法完成", "csrf_failed": "表单已过期，请返回后重试。",
		"unavailable": "暂时不可用", "unavailable_text": "存储暂时无法访问，请稍后再试。",
		"new_link": "新建链接", "create": "创建", "save": "保存", "basics": "基本信息", "short_url": "短链接",
		"edit": "编辑", "qr": "二维码", "history": "修改记录", "revert": "恢复到此版本", "pause": "暂停", "resume": "恢复启用",
		"code_taken": "这个码已被使用。", "code_in_trash": "这个码在回收站中：请先恢复它。", "viewer_cannot": "只读账号不能修改。",
		"f_code": "码（留空自动生成）", "f_title": "标题", "f_campaign": "活动", "f_tags": "标签（用 | 分隔）",
		"f_fallback_url": "备用网址", "f_starts_at": "开始时间", "f_expires_at": "结束时间", "f_max_scans": "最多扫码次数",
		"f_targets.wechat.appid": "AppID", "f_targets.wechat.path": "页面路径", "f_targets.wechat.query": "参数",
		"f_targets.wechat.env_version": "版本（release/trial/develop）", "f_targets.wechat.url_link": "URL Link（可选）",
		"f_targets.wechat.url_link_expires_at": "URL Link 到期时间",
		"f_targets.alipay.appid":               "AppID", "f_targets.alipay.page": "页面", "f_targets.alipay.query": "参数",
		"f_targets.baidu.appkey": "AppKey", "f_targets.baidu.path": "页面路径", "f_targets.baidu.query": "参数",
		"f_targets.douyin.appid": "AppID", "f_targets.douyin.path": "页面路径", "f_targets.douyin.query": "参数",
		"f_targets.qq.appid": "AppID", "f_targets.qq.path": "页面路径", "f_targets.qq.query": "参数",
		"f_targets.kuaishou.appid": "AppID", "f_targets.kuaishou.path": "页面路径", "f_targets.kuaishou.query": "参数",
		"f_targets.web.url": "网页地址",
		"host_wechat":       "微信小程序", "host_alipay": "支付宝小程序", "host_baidu": "百度智能小程序", "host_douyin": "抖音小程序",
		"host_qq": "QQ 小程序", "host_kuaishou": "快手小程序", "host_web": "网页",
		"settings": "设置", "usage": "配额与用量", "quota": "配额", "used": "已用", "limit": "上限", "no_limit": "不限",
		"users": "成员", "disable": "停用", "role": "角色", "admin": "管理员", "invite": "邀请", "api_keys": "API 密钥",
		"revoke": "吊销", "create_key": "新建密钥", "platform_apps": "平台应用", "no_apps": "还没有登记小程序。",
		"shown_once": "只显示这一次，请现在复制保存。", "invite_link_for": "发送此链接设置密码：", "new_key": "新的 API 密钥：",
		"active": "正常", "disabled": "已停用", "invited": "已邀请", "not_yourself": "不能停用自己。", "email_taken": "这个邮箱已有账号。",
		"live_page": "实时", "live_count": "打开本页后的扫码", "live_hint": "扫码约一秒后出现在这里（所有服务器的扫码都会出现）。",
		"live_empty":   "还没有扫码。用手机扫一个码试试。",
		"upload_title": "批量上传", "upload_hint": "上传 Excel 另存的 CSV（UTF-8 或 GBK 均可），列名与批量 API 相同，如 code,title,campaign,targets.web.url。每行单独创建，出错的行列在下方。",
		"csv_file": "CSV 文件", "upsert": "已有的码改为更新", "upload": "上传", "row": "行", "field": "列", "problem": "问题",
		"upload_no_file": "请选择一个 CSV 文件。", "upload_too_big": "文件超过 %d MiB。", "upload_summary": "新建 %d 个，更新 %d 个，失败 %d 行。",
		"open_campaign": "查看活动数据",
		"print_sheet":   "下载二维码", "campaign_links": "活动的链接", "from": "从", "to": "到", "granularity": "粒度",
		"by_day": "按天", "by_hour": "按小时", "show": "查看", "scans_over_time": "扫码次数（柱）与独立访客（线）",
		"t_scans": "扫码次数", "t_unique_visitors": "独立访客", "t_opens": "打开小程序", "t_conversions": "转化", "t_conversion_value": "转化金额",
		"vs_prev": "比上一周期 %s", "vs_prev_new": "上一周期为 0",
		"by_platform": "按宿主 App", "by_region": "按省份", "by_city": "按城市", "by_os": "按系统", "by_channel": "按渠道",
		"leaderboard": "链接排行", "nothing_yet": "暂无数据", "unknown": "未知",
		"p_wechat": "微信", "p_alipay": "支付宝", "p_baidu": "百度", "p_douyin": "抖音", "p_toutiao": "今日头条", "p_qq": "QQ",
		"p_kuaishou": "快手", "p_browser": "浏览器", "p_other": "其他",
	},
	"en": {
		"other_lang": "中文", "other_lang_code": "zh-CN",
		"rules": "Rules (by place, time and app)", "rules_hint": "Rules are tried from the top; the first that matches wins. Its targets replace the link's for the same app; apps it leaves out use the link's. A rule with only a redirect URL sends its scans to that page (closed hours, say). Blank rules are not saved.",
		"split": "A/B test", "split_hint": "Scans no rule takes are shared between variants by weight; a visitor stays on one variant for the day. The variant's name reaches the mini program as sg_v=name in its launch query. A variant without targets is the control group. Two variants at least.",
		"rule": "Rule", "new_rule": "+ New rule", "variant": "Variant", "revoke_their_keys": "and revoke the API keys they made", "created_at": "Created", "created_by": "By", "ev_scan": "scan", "ev_open": "open", "ev_conversion": "conversion", "all_campaigns": "All campaigns", "stale_form": "The link was changed before you saved (it is now v%d: see its history). Below is what you typed, not saved; saving again replaces that change.", "form_too_large": "The form is too large to save.", "limit_reached": "Limit reached", "print_format": "Format", "print_pdf": "PDF print sheet", "print_png": "PNG images (zip)", "print_svg": "SVG images (zip)", "print_pdf_wxacode": "Sun codes sheet (PDF)", "print_wxacode": "Sun codes (zip)", "all_tags": "All tags", "tag": "Tag", "ch_gateway": "through the gateway", "ch_app": "reported by the app",
		"q_api_per_minute": "API calls a minute", "q_bulk_rows_per_hour": "Bulk rows an hour", "q_exports_per_hour": "QR exports an hour",
		"q_links": "Links", "q_campaigns": "Campaigns", "q_tags": "Tags",
		"no_platforms": "Platform connections are not enabled on this gateway.", "apps_hint": "With a mini program's AppSecret registered, the gateway makes WeChat URL Links, sun codes and Douyin links itself. Secrets are stored encrypted and never shown again; they are checked with the platform as they are saved.",
		"app": "App", "app_checked": "Last checked", "app_quota": "Links made today", "app_ok": "OK", "app_error": "refused by the platform", "app_unchecked": "not checked",
		"app_held": "No links made until %s (%s)", "service_account": "Service account", "app_register": "Register a mini program, or replace its credentials", "platform": "Platform",
		"service_appid": "Service account AppID (for the open tag; optional)", "service_secret": "Service account AppSecret", "service_domain": "JS-safe domain",
		"app_save": "Save and check", "app_refused": "Saved, but the platform refused these credentials: %d %s", "app_taken": "Another account has registered this AppID.",
		"event_secret": "Conversion events secret", "event_secret_hint": "The mini program signs the conversions it reports with it. A new secret stops the old one at once, and is shown only once.",
		"event_secret_new": "Draw a new secret", "new_event_secret": "New conversion events secret:", "read_only_text": "This gateway serves from a backup just now: nothing can be changed.",
		"funnel": "Funnel: scan → mini program open → conversion (percentages of the step before)", "ab_compare": "A/B variants compared", "open_rate": "Open rate", "conversion_rate": "Conversion rate", "value_per_scan": "Value per scan",
		"f_max_scans_per_visitor.count": "Most scans per visitor", "f_max_scans_per_visitor.per": "Per", "per_": "no limit", "per_hour": "hour", "per_day": "day",
		"f_params":    "Params (one key=value per line)",
		"f_rule.name": "Rule name", "f_rule.position": "Order", "f_rule.remove": "Remove this rule", "f_rule.fallback_url": "Redirect URL (no targets), or over-limit fallback",
		"f_when.platform": "Host apps (none ticked: all)", "f_when.os": "OS (none ticked: all)", "f_when.region": "Provinces", "f_when.city": "Cities",
		"f_when.country": "Country codes", "f_when.lang": "Languages", "f_when.time.days": "Days (none ticked: every day)", "f_when.time.from": "From (HH:MM)",
		"f_when.time.to": "To (HH:MM, exclusive)", "f_when.time.tz": "Time zone", "f_when.after": "Active from", "f_when.before": "Active until",
		"f_variant.name": "Variant name (letters, digits)", "f_variant.weight": "Weight", "f_variant.remove": "Remove this variant",
		"p_wecom": "WeCom", "p_dingtalk": "DingTalk", "p_taobao": "Taobao", "p_tiktok": "TikTok", "p_feishu": "Feishu", "p_weibo": "Weibo", "p_other_app": "Other app",
		"os_other": "Other", "os_ios": "iOS", "os_android": "Android", "os_harmonyos": "HarmonyOS", "os_windows": "Windows", "os_macos": "macOS", "os_linux": "Linux",
		"day_mon": "Mon", "day_tue": "Tue", "day_wed": "Wed", "day_thu": "Thu", "day_fri": "Fri", "day_sat": "Sat", "day_sun": "Sun",
		"selected": "Selected links", "bulk_done": "%d links done.",
		"sun_code": "Sun code", "qr_options": "QR style", "qr_size": "Size", "qr_ecc": "Error correction", "qr_margin": "Margin (modules)", "qr_fg": "Foreground", "qr_bg": "Background", "qr_caption": "Caption", "qr_uppercase": "Upper-case URL (a smaller code)", "qr_apply": "Preview",
		"trash": "Trash", "trash_hint": "Deleted links stay here for 30 days; their scans go to the fallback. Restored, all is as before.", "purge_at": "Purged at", "restore": "Restore", "trash_empty": "The trash is empty.",
		"duplicate": "Duplicate", "delete": "Delete", "your_account": "Your account", "sign_out_everywhere": "Sign out everywhere",
		"stats": "Numbers", "download_csv": "Download CSV", "by_rule": "By rule",
		"sign_in": "Sign in", "sign_out": "Sign out", "email": "Email", "password": "Password",
		"login_hint":     "No account? Ask an admin to invite you from the console, or run gateway user create on the server.",
		"bad_login":      "Wrong email or password.",
		"too_many_tries": "Too many tries: wait %d seconds.",
		"set_password":   "Set your password", "set_password_for": "Set the password of", "new_password": "New password (10 characters or more)",
		"save_and_sign_in": "Save and sign in", "link_invalid": "This link is used or expired: ask an admin for a new one.",
		"links": "Links", "viewer": "read only", "search": "Search", "search_placeholder": "Search codes or titles",
		"state": "State", "all_states": "All states", "sort": "Sort",
		"sort_created": "Newest", "sort_updated": "Recently changed", "sort_scans": "Most scanned",
		"st_active": "Active", "st_paused": "Paused", "st_scheduled": "Scheduled", "st_expired": "Expired",
		"live": "Live", "paused": "Paused", "scheduled": "Scheduled", "expired": "Expired", "used_up": "Used up",
		"code": "Code", "title": "Title", "campaign": "Campaign", "scans": "Scans",
		"no_links": "No links match.", "next_page": "Next page →",
		"back_home": "Back to the console", "not_found": "Not found", "not_found_text": "There is no such page, or it is not your tenant's.",
		"forbidden": "Not done", "csrf_failed": "The form expired: go back and try again.",
		"unavailable": "Unavailable", "unavailable_text": "The store cannot be reached just now: try again shortly.",
		"new_link": "New link", "create": "Create", "save": "Save", "basics": "Basics", "short_url": "Short URL",
		"edit": "Edit", "qr": "QR code", "history": "History", "revert": "Revert to this", "pause": "Pause", "resume": "Resume",
		"code_taken": "This code is taken.", "code_in_trash": "This code is in the trash: restore it first.", "viewer_cannot": "A read-only account cannot change anything.",
		"f_code": "Code (empty: generated)", "f_title": "Title", "f_campaign": "Campaign", "f_tags": "Tags (separated by |)",
		"f_fallback_url": "Fallback URL", "f_starts_at": "Starts at", "f_expires_at": "Expires at", "f_max_scans": "Most scans",
		"f_targets.wechat.appid": "AppID", "f_targets.wechat.path": "Page path", "f_targets.wechat.query": "Query",
		"f_targets.wechat.env_version": "Version (release/trial/develop)", "f_targets.wechat.url_link": "URL Link (optional)",
		"f_targets.wechat.url_link_expires_at": "URL Link expires at",
		"f_targets.alipay.appid":               "AppID", "f_targets.alipay.page": "Page", "f_targets.alipay.query": "Query",
		"f_targets.baidu.appkey": "AppKey", "f_targets.baidu.path": "Page path", "f_targets.baidu.query": "Query",
		"f_targets.douyin.appid": "AppID", "f_targets.douyin.path": "Page path", "f_targets.douyin.query": "Query",
		"f_targets.qq.appid": "AppID", "f_targets.qq.path": "Page path", "f_targets.qq.query": "Query",
		"f_targets.kuaishou.appid": "AppID", "f_targets.kuaishou.path": "Page path", "f_targets.kuaishou.query": "Query",
		"f_targets.web.url": "Web page",
		"host_wechat":       "WeChat mini program", "host_alipay": "Alipay mini program", "host_baidu": "Baidu smart program", "host_douyin": "Douyin mini program",
		"host_qq": "QQ mini program", "host_kuaishou": "Kuaishou mini program", "host_web": "Web page",
		"settings": "Settings", "usage": "Quotas and use", "quota": "Quota", "used": "Used", "limit": "Limit", "no_limit": "none",
		"users": "Users", "disable": "Disable", "role": "Role", "admin": "admin", "invite": "Invite", "api_keys": "API keys",
		"revoke": "Revoke", "create_key": "Create a key", "platform_apps": "Platform apps", "no_apps": "No mini program registered yet.",
		"shown_once": "Shown only now: copy it.", "invite_link_for": "Send this link to set the password of", "new_key": "New API key:",
		"active": "active", "disabled": "disabled", "invited": "invited", "not_yourself": "You cannot disable yourself.", "email_taken": "This email already has an account.",
		"live_page": "Live", "live_count": "Scans since this page opened", "live_hint": "Scans show here about a second after they happen, from every gateway instance.",
		"live_empty":   "No scans yet. Scan a code with a phone.",
		"upload_title": "Bulk upload", "upload_hint": "Upload a spreadsheet saved as CSV (UTF-8 or GBK), with the bulk API's columns, such as code,title,campaign,targets.web.url. Each row is created alone; failed rows are listed below.",
		"csv_file": "CSV file", "upsert": "Update codes that exist", "upload": "Upload", "row": "Row", "field": "Column", "problem": "Problem",
		"upload_no_file": "Choose a CSV file.", "upload_too_big": "The file is over %d MiB.", "upload_summary": "%d created, %d updated, %d rows failed.",
		"open_campaign": "See the campaign's numbers",
		"print_sheet":   "Download QR codes", "campaign_links": "The campaign's links", "from": "From", "to": "To", "granularity": "Step",
		"by_day": "By day", "by_hour": "By hour", "show": "Show", "scans_over_time": "Scans (bars) and unique visitors (line)",
		"t_scans": "Scans", "t_unique_visitors": "Unique visitors", "t_opens": "Mini program opens", "t_conversions": "Conversions", "t_conversion_value": "Conversion value",
		"vs_prev": "%s on the previous period", "vs_prev_new": "none in the previous period",
		"by_platform": "By host app", "by_region": "By province", "by_city": "By city", "by_os": "By OS", "by_channel": "By channel",
		"leaderboard": "Links by scans", "nothing_yet": "Nothing yet", "unknown": "Unknown",
		"p_wechat": "WeChat", "p_alipay": "Alipay", "p_baidu": "Baidu", "p_douyin": "Douyin", "p_toutiao": "Toutiao", "p_qq": "QQ",
		"p_kuaishou": "Kuaishou", "p_browser": "Browser", "p_other": "Other",
	},
}

// placeName is a province or city (as stats keep it: the GeoIP
// database's English name) as a page in lang names it.
func placeName(lang, s string) string {
	if lang == "zh-CN" {
		return cmp.Or(geo.ZhName(s), s)
	}
	return s
}

// consoleLang picks the request's language.
func consoleLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := consoleTexts[c.Value]; ok {
			return c.Value
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return "zh-CN"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "zh-CN"
}
