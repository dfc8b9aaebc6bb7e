using System.Text.Json.Nodes;
using ClosedXML.Excel;
using PaddleX.Cloud.Api.Endpoints;

namespace PaddleX.Cloud.Export.Tests;

/// <summary>The evaluation report workbook holds the metric tables and the confusion matrix as cell
/// values (numbers rounded to 4 decimals, "nan" for −1/null).</summary>
public sealed class ExcelReportTests
{
    [Fact]
    public void Report_tables_and_confusion_matrix_read_back_as_values()
    {
        var result = JsonNode.Parse("""
        {
          "Confusion_Matrix": [[2, 1, 0], [0, 1, 1], [0, 0, 0]],
          "PRF1": {
            "a": {"precision": 1.0, "recall": 0.666666, "F1": 0.8, "auc": 0.9},
            "b": {"precision": 0.5, "recall": 0.5, "F1": 0.5, "auc": 0.75},
            "c": {"precision": -1.0, "recall": -1.0, "F1": -1.0, "auc": -1.0}
          },
          "PRF1_average": {"over_all": {"precision": 0.83333, "recall": 0.6, "F1": 0.7}},
          "Acc1": 0.6,
          "Acck": 1.0,
          "topk": 3,
          "label_list": ["a", "b", "c"],
          "epoch": null
        }
        """)!.AsObject();
        using var stream = new MemoryStream();
        EvaluationReport.WriteXlsx(result, 3, stream);
        stream.Position = 0;
        using var book = new XLWorkbook(stream);
        var sheet = book.Worksheet(EvaluationReport.SheetName);

        Assert.Equal("各类别的精确率、召回率、F1值与AUC", sheet.Cell(1, 1).GetString());
        Assert.Equal("类别", sheet.Cell(2, 1).GetString());
        Assert.Equal(["precision", "recall", "F1", "auc"], Enumerable.Range(2, 4).Select(c => sheet.Cell(2, c).GetString()));
        Assert.Equal("a", sheet.Cell(3, 1).GetString());
        Assert.Equal(0.6667, sheet.Cell(3, 3).GetDouble(), 9);
        Assert.Equal("nan", sheet.Cell(5, 2).GetString());
        Assert.Equal("平均精确率、召回率与F1值", sheet.Cell(7, 1).GetString());
        Assert.Equal("over_all", sheet.Cell(9, 1).GetString());
        Assert.Equal(0.8333, sheet.Cell(9, 2).GetDouble(), 9);
        Assert.Equal("Top1准确率", sheet.Cell(11, 1).GetString());
        Assert.Equal(0.6, sheet.Cell(12, 1).GetDouble(), 9);
        Assert.Equal("Top3准确率", sheet.Cell(14, 1).GetString());
        Assert.Equal(1.0, sheet.Cell(15, 1).GetDouble(), 9);
        Assert.StartsWith("混淆矩阵", sheet.Cell(17, 1).GetString(), StringComparison.Ordinal);
        Assert.Equal("c", sheet.Cell(18, 4).GetString());
        Assert.Equal("b", sheet.Cell(20, 1).GetString());
        Assert.Equal(new double[] { 0, 1, 1 }, Enumerable.Range(2, 3).Select(c => sheet.Cell(20, c).GetDouble()));
        Assert.True(sheet.Column(1).Width >= 20);
    }
    [Fact]
    public void Instance_segmentation_report_has_box_and_mask_tables_and_both_confusion_matrices()
    {
        var result = JsonNode.Parse("""
        {
          "BBox_Confusion_Matrix": [[3, 0, 1], [0, 2, 0], [1, 0, 0]],
          "BBox_mAP": 0.81234,
          "BBox_PRAP": {"cat": {"precision": 0.75, "recall": 0.75, "AP": 0.7}, "dog": {"precision": 1.0, "recall": 1.0, "AP": null}},
          "label_list": ["cat", "dog", "back_ground"],
          "Mask_Confusion_Matrix": [[2, 0, 2], [0, 2, 0], [2, 0, 0]],
          "Mask_mAP": 0.5,
          "Mask_PRAP": {"cat": {"precision": -1, "recall": 0.5, "AP": 0.4}, "dog": {"precision": 1.0, "recall": 1.0, "AP": 1.0}},
          "epoch": 3
        }
        """)!.AsObject();
        using var stream = new MemoryStream();
        EvaluationReport.WriteXlsx(result, null, stream);
        stream.Position = 0;
        using var book = new XLWorkbook(stream);
        var sheet = book.Worksheet(EvaluationReport.SheetName);
        var cells = sheet.CellsUsed().ToList();

        var boxMap = cells.Single(c => c.GetString() == "检测框mAP");
        Assert.Equal(0.8123, sheet.Cell(boxMap.Address.RowNumber + 1, 1).GetDouble(), 9);
        var boxTable = cells.Single(c => c.GetString() == "各类别检测框的精确率、召回率与AP").Address.RowNumber;
        Assert.Equal(["precision", "recall", "AP"], Enumerable.Range(2, 3).Select(c => sheet.Cell(boxTable + 1, c).GetString()));
        Assert.Equal("nan", sheet.Cell(boxTable + 3, 4).GetString());
        var maskTable = cells.Single(c => c.GetString() == "各类别分割掩码的精确率、召回率与AP").Address.RowNumber;
        Assert.Equal("nan", sheet.Cell(maskTable + 2, 2).GetString());
        Assert.Single(cells, c => c.GetString() == "分割掩码mAP");

        var boxMatrix = cells.Single(c => c.GetString().StartsWith("检测框混淆矩阵", StringComparison.Ordinal)).Address.RowNumber;
        var maskMatrix = cells.Single(c => c.GetString().StartsWith("分割掩码混淆矩阵", StringComparison.Ordinal)).Address.RowNumber;
        Assert.True(maskMatrix > boxMatrix + 4, "the matrices do not overlap");
        Assert.Equal("back_ground", sheet.Cell(boxMatrix + 1, 4).GetString());
        Assert.Equal(new double[] { 3, 0, 1 }, Enumerable.Range(2, 3).Select(c => sheet.Cell(boxMatrix + 2, c).GetDouble()));
        Assert.Equal(new double[] { 2, 0, 0 }, Enumerable.Range(2, 3).Select(c => sheet.Cell(maskMatrix + 4, c).GetDouble()));
    }
}
