using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Google.Protobuf;

namespace PaddleX.Cloud.Storage.Local;

/// <summary>One change in the journal: the whole new value of one entity (put), or its removal
/// (<see cref="Entity"/> null), with the kind's highest id number after the change. Replaying a
/// record twice gives the same state, which is what lets recovery replay a journal over a snapshot
/// that may already contain it.</summary>
internal sealed record JournalRecord(int Kind, string Id, int MaxId, IMessage? Entity)
{
    /// <summary>length (4) + CRC-32C of the payload (4).</summary>
    public const int FrameHeader = 8;

    /// <summary>The framed bytes: <c>length, crc, kind, max id, id length, id, has entity, entity</c>.</summary>
    public byte[] Encode()
    {
        var id = Encoding.UTF8.GetBytes(Id);
        var entitySize = Entity?.CalculateSize() ?? 0;
        var payloadLength = 1 + 4 + 4 + id.Length + 1 + entitySize;
        var frame = new byte[FrameHeader + payloadLength];
        var payload = frame.AsSpan(FrameHeader);
        payload[0] = (byte)Kind;
        BinaryPrimitives.WriteInt32LittleEndian(payload[1..], MaxId);
        BinaryPrimitives.WriteInt32LittleEndian(payload[5..], id.Length);
        id.CopyTo(payload[9..]);
        payload[9 + id.Length] = Entity is null ? (byte)0 : (byte)1;
        Entity?.WriteTo(payload[(10 + id.Length)..]);
        BinaryPrimitives.WriteInt32LittleEndian(frame, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32C(payload));
        return frame;
    }

    /// <summary>The record framed at the start of <paramref name="data"/> and its framed length, or
    /// null when the frame is incomplete or damaged (a write cut short by a crash).</summary>
    public static (JournalRecord Record, int Length)? TryDecode(ReadOnlySpan<byte> data)
    {
        if (data.Length < FrameHeader)
        {
            return null;
        }

        var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (payloadLength < 10 || payloadLength > data.Length - FrameHeader)
        {
            return null;
        }

        var payload = data.Slice(FrameHeader, payloadLength);
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) != Crc32C(payload))
        {
            return null;
        }

        try
        {
            var kind = payload[0];
            var idLength = BinaryPrimitives.ReadInt32LittleEndian(payload[5..]);
            if (kind >= EntityKind.All.Length || idLength < 0 || idLength > payloadLength - 10)
            {
                return null;
            }

            var id = Encoding.UTF8.GetString(payload.Slice(9, idLength));
            var entity = payload[9 + idLength] == 0 ? null : EntityKind.All[kind].Parse(payload[(10 + idLength)..]);
            return (new JournalRecord(kind, id, BinaryPrimitives.ReadInt32LittleEndian(payload[1..]), entity), FrameHeader + payloadLength);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
