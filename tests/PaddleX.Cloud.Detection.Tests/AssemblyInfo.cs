// libtorch already uses both cores of the CI machine: run test classes one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
