namespace PaddleX.Cloud.Contracts;

// The integer values are part of the wire contract (docs/api-behaviour.md §2): clients compare them.
#pragma warning disable CA1008, CA1027, CA1028, CA1707 // the original's member names and zero values are the contract

public enum DatasetStatus
{
    XEMPTY = 0, XCHECKING = 1, XCHECKFAIL = 2, XCOPYING = 3, XCOPYDONE = 4, XCOPYFAIL = 5, XSPLITED = 6,
}

public enum TaskStatus
{
    XUNINIT = 0, XINIT = 1, XDOWNLOADING = 2, XTRAINING = 3, XTRAINDONE = 4, XEVALUATED = 5,
    XEXPORTING = 6, XEXPORTED = 7, XTRAINEXIT = 8, XDOWNLOADFAIL = 9, XTRAINFAIL = 10,
    XEVALUATING = 11, XEVALUATEFAIL = 12, XEXPORTFAIL = 13, XPRUNEING = 14, XPRUNETRAIN = 15,
}

public enum ProjectType
{
    classification = 0, detection = 1, segmentation = 2, instance_segmentation = 3, remote_segmentation = 4,
}

public enum DownloadStatus
{
    XDDOWNLOADING = 0, XDDOWNLOADFAIL = 1, XDDOWNLOADDONE = 2, XDDECOMPRESSED = 3,
}

public enum PredictStatus
{
    XPRESTART = 0, XPREDONE = 1, XPREFAIL = 2,
}

public enum PruneStatus
{
    XSPRUNESTART = 0, XSPRUNEING = 1, XSPRUNEDONE = 2, XSPRUNEFAIL = 3, XSPRUNEEXIT = 4,
}

public enum PretrainedModelStatus
{
    XPINIT = 0, XPSAVING = 1, XPSAVEFAIL = 2, XPSAVEDONE = 3,
}

#pragma warning restore CA1008, CA1027, CA1028, CA1707
