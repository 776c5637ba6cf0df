package httpapi

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
)

// The console says a link's field errors in its language: the validator
// writes them in English (the API's words), each from a template that
// zhFieldTexts says in Chinese with the same values in the same order. A
// template missing here is shown in English (TestConsoleFieldTexts lists
// those the validator has).

// fieldMessage is err's message for a page in lang.
func fieldMessage(err error, lang string) string {
	var fe *links.FieldError
	if !errors.As(err, &fe) {
		return err.Error()
	}
	if lang == "zh-CN" {
		tmpl, args := fe.Template()
		if zh, ok := zhFieldTexts[tmpl]; ok {
			return fmt.Sprintf(zh, args...)
		}
	}
	return fe.Message
}

var zhFieldTexts = map[string]string{
	// Any field.
	"is required":                         "必填",
	"must not be empty":                   "不能为空",
	"must be valid UTF-8":                 "必须是有效的 UTF-8 文本",
	"must not contain control characters": "不能包含控制字符",
	"must not contain invisible formatting characters (%U)": "不能包含不可见的格式字符（%U）",
	"at most %d characters":                                 "最多 %d 个字符",
	"at most %d characters (got %d)":                        "最多 %d 个字符（现在 %d 个）",
	"at most %d bytes":                                      "最多 %d 字节",
	"must be a whole number":                                "必须是整数",
	"must be an RFC 3339 time, e.g. 2027-01-01T00:00:00Z":   "时间格式应为 2027-01-01T00:00:00+08:00",
	"is in the past":                                        "已经过去了",
	"must be later than starts_at":                          "必须晚于开始时间",
	"cannot be changed; create a new link instead":          "不能修改；请新建一个链接",

	// The link's own fields.
	"must be 3 to 32 characters of 0-9, A-Z, a-z, '_' or '-'": "码须为 3 到 32 个字符：数字、字母、_ 或 -",
	"%q is reserved": "%q 是保留字，不能用作码",
	"%q may contain only letters, digits, '_', '-' and '.'": "%q 只能包含字母、数字、_、- 和 .",
	"at most %d tags":                     "最多 %d 个标签",
	"must be between 0 (no limit) and %d": "须在 0（不限）到 %d 之间",
	"must be between 1 and %d":            "须在 1 到 %d 之间",
	"must be %q or %q: visitors are recognised for a day at most, never across days": "须为 %q 或 %q：访客最多按一天识别，不跨天",
	"must be %q or %q":         "须为 %q 或 %q",
	"must be active or paused": "须为 active（启用）或 paused（暂停）",
	"at most %d params":        "最多 %d 个参数",
	"key %q must be 1 to %d characters of A-Z, a-z, 0-9, '_', '.' or '-'": "参数名 %q 须为 1 到 %d 个字符：字母、数字、_、. 或 -",
	"keys and values together must stay within %d bytes":                  "参数名和值合计不能超过 %d 字节",
	"line %d: write one key=value per line":                               "第 %d 行：每行写一个 key=value",

	// URLs.
	"must be an http or https URL":                                "须为 http 或 https 网址",
	"is not a valid URL":                                          "不是有效的网址",
	"must have a host":                                            "网址缺少域名",
	"must not contain a user name or password":                    "网址中不能包含用户名或密码",
	"must not contain '#' or spaces; write them as %%23 and %%20": "不能包含 # 或空格；请写成 %%23 和 %%20",

	// Targets.
	"at least one target is required":                        "至少填写一个目标（小程序或网页）",
	"must be 'wx' followed by 16 lowercase hex digits":       "微信 AppID 为 wx 加 16 位小写十六进制字符，如 wx0123456789abcdef",
	"must be 16 digits":                                      "支付宝 AppID 为 16 位数字",
	"must be 32 letters or digits":                           "百度 AppKey 为 32 位字母或数字",
	"must be 'tt' followed by 16 or 18 lowercase hex digits": "抖音 AppID 为 tt 加 16 或 18 位小写十六进制字符",
	"must be 8 to 12 digits":                                 "QQ AppID 为 8 到 12 位数字",
	"must be 'ks' followed by 18 digits":                     "快手 AppID 为 ks 加 18 位数字",
	"must be a page path like pages/menu/index: letters, digits, '-', '.', '_' and '~' between slashes; no scheme, query, '//', '..' or spaces": "页面路径应如 pages/menu/index：斜杠之间为字母、数字、-、.、_、~；不含协议、参数、//、.. 或空格",
	"must not start with '//'":                                                             "不能以 // 开头",
	"write the query without the leading '?'":                                              "参数不要以 ? 开头",
	"must not contain spaces or control characters":                                        "不能包含空格或控制字符",
	"scene is reserved: ScanGate adds scene=<code> to every launch query":                  "scene 是保留参数：ScanGate 会在启动参数中自动加上 scene=码",
	"%s is reserved: ScanGate adds %s=<variant> to the launch queries of split links":      "%s 是保留参数：A/B 测试的链接会自动加上 %s=版本名",
	"URL-encoded with scene=<code> it is %d characters; WeChat allows %d":                  "加上 scene=码 并编码后共 %d 个字符，微信最多 %d 个",
	"must be release, trial or develop":                                                    "须为 release（正式版）、trial（体验版）或 develop（开发版）",
	"must be a WeChat URL Link: https://wxaurl.cn/<ticket> or https://wxmpurl.cn/<ticket>": "须为微信 URL Link：https://wxaurl.cn/… 或 https://wxmpurl.cn/…",
	"needs url_link":                  "需要先填写 URL Link",
	"%q is reserved by the Baidu app": "%q 是百度 App 的保留参数",

	// Rules and the split.
	"at most %d rules (got %d)":                                                                "最多 %d 条规则（现在 %d 条）",
	"%q is used by an earlier rule; names must be unique":                                      "%q 已被前面的规则使用；规则名不能重复",
	"%q is used by an earlier variant; names must be unique":                                   "%q 已被前面的版本使用；版本名不能重复",
	"a rule needs targets, or a fallback_url to send its scans to":                             "规则需要目标，或填写跳转网址",
	"at most %d characters and %d bytes (about 21 Chinese characters)":                         "最多 %d 个字符、%d 字节（约 21 个汉字）",
	"%q is reserved: stats count names beyond their cap under it":                              "%q 是保留名称（数据统计用）",
	"%q may contain only letters, digits, spaces, '_', '-' and '.'":                            "%q 只能包含文字、数字、空格、_、- 和 .",
	"needs %d to %d variants (got %d)":                                                         "需要 %d 到 %d 个版本（现在 %d 个）",
	"must be 1 to %d characters of A-Z, a-z, 0-9, '_' or '-' (it travels in the launch query)": "版本名须为 1 到 %d 个字符：字母、数字、_ 或 -（会带进启动参数）",
	"must be a whole number from 0 to %d":                                                      "须为 0 到 %d 的整数",
	"must be a whole number from 1 to %d":                                                      "须为 1 到 %d 的整数",
	"at least one variant needs a weight above 0":                                              "至少一个版本的权重要大于 0",
	"unknown host app %q; known: %s":                                                           "未知的宿主 App %q；可选：%s",
	"unknown OS %q; known: %s":                                                                 "未知的系统 %q；可选：%s",
	"%q is not a two-letter ISO 3166-1 code such as CN":                                        "%q 不是两位国家或地区代码，如 CN",
	"%q is not a language tag such as zh, zh-CN or en":                                         "%q 不是语言代码，如 zh、zh-CN 或 en",
	"%q is not an IANA time zone such as Asia/Shanghai":                                        "%q 不是时区名，如 Asia/Shanghai",
	"%q is not a day; use mon, tue, wed, thu, fri, sat, sun":                                   "%q 不是星期几",
	"%q is not a time of day like 06:30":                                                       "%q 不是时间，应如 06:30",
	"at most 7 days":                                                                           "最多 7 天",
	"must differ from from; leave both out for the whole day":                                  "结束时间须不同于开始时间；全天请两个都留空",
	"must be later than after":                                                                 "须晚于生效起",
	"at most %d entries":                                                                       "最多 %d 项",
	"entries must not be empty":                                                                "不能有空项",
	"at most %d rows":                                                                          "最多 %d 行",

	// Spreadsheets.
	"unknown CSV column":                                      "未知的列名",
	"CSV column appears twice":                                "列名重复",
	"CSV column has a bad param name":                         "参数列名无效",
	"the CSV header has no targets.<platform>.<field> column": "表头没有目标列（如 targets.web.url）",
	"is not valid UTF-8 text: save the file as \"CSV UTF-8\", or send it as GB18030 (GBK)": "不是有效的文本：请另存为“CSV UTF-8”或 GBK 编码",
}

// zhAppTexts says the platform apps' field errors (internal/apps) in
// Chinese, by message, and zhAppFields their fields.
var zhAppTexts = map[string]string{
	"required":                      "必填",
	"only visible ASCII characters": "只能包含可见的 ASCII 字符",
	"must be wechat or douyin":      "须为微信或抖音",
	"a WeChat AppID is wx and 16 lower-case hex digits":           "微信 AppID 为 wx 加 16 位小写十六进制字符",
	"a Douyin AppID is tt and 16 to 18 lower-case hex digits":     "抖音 AppID 为 tt 加 16 到 18 位小写十六进制字符",
	"a service account is for WeChat apps only":                   "公众号只用于微信小程序",
	"a domain name such as m.example.com, without scheme or path": "填写域名，如 m.example.com，不带 https:// 和路径",
}

var zhAppFields = map[string]string{
	"platform": "平台", "appid": "AppID", "secret": "AppSecret",
	"service_appid": "公众号 AppID", "service_secret": "公众号 AppSecret", "service_domain": "JS 安全域名",
}

// appFieldMessage is a platform app's field error for a page in lang.
func appFieldMessage(fe *apps.FieldError, lang string) string {
	if lang == "zh-CN" {
		msg, ok := zhAppTexts[fe.Message]
		if !ok && strings.HasPrefix(fe.Message, "at most ") {
			msg, ok = "太长："+fe.Message, true
		}
		if ok {
			return cmp.Or(zhAppFields[fe.Name], fe.Name) + "：" + msg
		}
	}
	return fe.Name + ": " + fe.Message
}
