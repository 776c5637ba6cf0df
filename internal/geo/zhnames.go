package geo

// Stats keep places by the database's English names (RegionName,
// CityName), which is what the API reports. A console in Chinese shows
// them in Chinese: ZhName knows China's provinces and its larger cities
// as GeoIP databases spell them in English. Names it does not know (and
// pinyin shared by two cities, such as Fuzhou and Taizhou) stay as the
// database names them.

// ZhName is the Simplified Chinese name of a province or city of China
// given by its English name, or "" when it is not in the table.
func ZhName(english string) string { return zhNames[english] }

var zhNames = map[string]string{
	// Provinces, municipalities, autonomous regions and SARs, with the
	// spellings MaxMind and DB-IP use.
	"Beijing": "北京", "Tianjin": "天津", "Shanghai": "上海", "Chongqing": "重庆",
	"Hebei": "河北", "Shanxi": "山西", "Liaoning": "辽宁", "Jilin": "吉林", "Heilongjiang": "黑龙江",
	"Jiangsu": "江苏", "Zhejiang": "浙江", "Anhui": "安徽", "Fujian": "福建", "Jiangxi": "江西", "Shandong": "山东",
	"Henan": "河南", "Hubei": "湖北", "Hunan": "湖南", "Guangdong": "广东", "Hainan": "海南",
	"Sichuan": "四川", "Guizhou": "贵州", "Yunnan": "云南", "Shaanxi": "陕西", "Gansu": "甘肃", "Qinghai": "青海",
	"Inner Mongolia": "内蒙古", "Inner Mongolia Autonomous Region": "内蒙古",
	"Guangxi": "广西", "Guangxi Zhuang Autonomous Region": "广西",
	"Tibet": "西藏", "Tibet Autonomous Region": "西藏", "Xizang": "西藏",
	"Ningxia": "宁夏", "Ningxia Hui Autonomous Region": "宁夏",
	"Xinjiang": "新疆", "Xinjiang Uyghur Autonomous Region": "新疆",
	"Hong Kong": "香港", "Macao": "澳门", "Macau": "澳门", "Taiwan": "台湾",

	// Provincial capitals and other large cities.
	"Guangzhou": "广州", "Shenzhen": "深圳", "Dongguan": "东莞", "Foshan": "佛山", "Zhuhai": "珠海", "Zhongshan": "中山",
	"Huizhou": "惠州", "Jiangmen": "江门", "Shantou": "汕头", "Zhanjiang": "湛江", "Zhaoqing": "肇庆", "Shaoguan": "韶关",
	"Hangzhou": "杭州", "Ningbo": "宁波", "Wenzhou": "温州", "Shaoxing": "绍兴", "Jiaxing": "嘉兴", "Jinhua": "金华",
	"Huzhou": "湖州", "Yiwu": "义乌",
	"Nanjing": "南京", "Wuxi": "无锡", "Changzhou": "常州", "Nantong": "南通", "Xuzhou": "徐州",
	"Yangzhou": "扬州", "Kunshan": "昆山", "Yancheng": "盐城", "Zhenjiang": "镇江", "Lianyungang": "连云港",
	"Hefei": "合肥", "Wuhu": "芜湖", "Xiamen": "厦门", "Quanzhou": "泉州", "Nanchang": "南昌", "Ganzhou": "赣州",
	"Jinan": "济南", "Qingdao": "青岛", "Yantai": "烟台", "Weifang": "潍坊", "Zibo": "淄博", "Linyi": "临沂", "Weihai": "威海",
	"Zhengzhou": "郑州", "Luoyang": "洛阳", "Kaifeng": "开封", "Wuhan": "武汉", "Yichang": "宜昌", "Xiangyang": "襄阳",
	"Changsha": "长沙", "Zhuzhou": "株洲", "Xiangtan": "湘潭", "Hengyang": "衡阳",
	"Shijiazhuang": "石家庄", "Tangshan": "唐山", "Baoding": "保定", "Langfang": "廊坊", "Handan": "邯郸", "Qinhuangdao": "秦皇岛",
	"Taiyuan": "太原", "Datong": "大同", "Shenyang": "沈阳", "Dalian": "大连", "Anshan": "鞍山", "Changchun": "长春",
	"Harbin": "哈尔滨", "Daqing": "大庆", "Hohhot": "呼和浩特", "Baotou": "包头",
	"Chengdu": "成都", "Mianyang": "绵阳", "Guiyang": "贵阳", "Zunyi": "遵义", "Kunming": "昆明", "Dali": "大理", "Lijiang": "丽江",
	"Xi'an": "西安", "Xian": "西安", "Lanzhou": "兰州", "Xining": "西宁", "Yinchuan": "银川", "Urumqi": "乌鲁木齐", "Lhasa": "拉萨",
	"Nanning": "南宁", "Liuzhou": "柳州", "Guilin": "桂林", "Haikou": "海口", "Sanya": "三亚",
	"Kowloon": "九龙", "Taipei": "台北", "Kaohsiung": "高雄", "Taichung": "台中",
}
