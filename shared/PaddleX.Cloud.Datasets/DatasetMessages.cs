namespace PaddleX.Cloud.Datasets;

/// <summary>The original server's validation messages (docs/api-behaviour.md §4), verbatim, plus ours for
/// cases the original reported with a raw traceback.</summary>
public static class DatasetMessages
{
    public static string ListFormat(string file) => $"{file} 格式错误. 列表应包含两列，由空格分离。";

    public static string LabelHasSpace(string label) => $"类别-{label}名称有误，分类数据集中类别名称不应包含空格";

    public const string TooFewClasses = "分类数据集中至少需要包含两种图像类别";

    public const string ClsSplitFilesMissing = "已切分的数据集下应该包含labels.txt, train_list.txt, val_list.txt文件";

    public const string SegSplitFilesMissing = "已切分的数据集下应该包含train_list.txt, val_list.txt文件";

    public const string CocoSplitFilesMissing = "已切分的数据集下应该包含train.json, val.json文件";

    public static string ImageMissing(string list, string image) => $"数据目录{list}中不存在图片文件{image}";

    public static string AnnotationMissing(string list, string annotation) => $"数据目录{list}中不存在标注文件{annotation}";

    public const string LabelOrderWrong = "labels.txt中label顺序不准确";

    public static string NotPicture(string name) => $"文件{name}不是图片格式";

    public static string AnnotationsDirMissing(string dir) => $"标注文件应该放在{dir}目录下";

    public static string ImagesDirMissing(string dir) => $"图片文件应该放在{dir}目录下";

    public static string MalformedXml(string xml) => $"文件{xml}不是一个良构的xml文件";

    public static string NotXml(string xml) => $"标注文件{xml}不是xml文件";

    public static string XmlLabelsMismatch(string xml) => $"文件{xml}与labels.txt文件信息不对应";

    public static string SizeMismatch(string image) => $"文件{image}与标注图片尺寸不一致";

    public const string LabelValuesMismatch = "标注信息与实际类别不一致";

    public static string NotPng(string file) => $"标注文件{file}不是png文件";

    public static string CocoFileMissing(string dir) => $"标注文件annotations.json应该放在{dir}目录下";

    public const string CocoInvalid = "标注文件存在错误";

    public static string CocoImagesMissing(string first, int count) => $"标注文件中{first}等{count}个信息无对应图片";

    public const string TrainEmpty = "训练集样本数量需大于0";

    public const string ValEmpty = "验证集样本数量需大于0";

    public const string NotImported = "数据集还未导入完成，请等数据集导入成功后再进行切分";

    public const string NeedsRecheck = "数据集需重新校验，请刷新数据集后再进行切分";

    // Ours: the original failed with a raw traceback in these cases.
    public static string ImageCorrupt(string image) => $"图片文件{image}已损坏或无法解码";

    public static string MaskMissing(string png) => $"标注文件{png}不存在";

    public static string MaskNotSingleChannel(string png) => $"标注文件{png}应为单通道(灰度或调色板)png图片";

    public static string LabelIndexInvalid(string list, string line) => $"{list}中的标签序号有误: {line}";

    public const string NoImages = "数据集中没有找到图片文件";

    public static string SourceMissing(string path) => $"数据路径{path}不存在";

    public static string ZipEntryUnsafe(string entry) => $"压缩包中的文件{entry}路径不安全";

    public static string ZipTooLarge(long limit) => $"压缩包解压后超过{limit}字节";

    public static string ZipInvalid(string name) => $"文件{name}不是有效的zip压缩包";
}
