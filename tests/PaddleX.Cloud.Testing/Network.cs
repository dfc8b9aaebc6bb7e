using System.Net;
using System.Net.Sockets;

namespace PaddleX.Cloud.Testing;

public static class Network
{
    /// <summary>A loopback port nobody listens on now (the OS picks it), for a server a test starts.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
